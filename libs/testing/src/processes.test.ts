import { describe, expect, it } from 'vitest';
import {
  HOST_MAIN,
  KillSchedule,
  mulberry32,
  openTxnRecords,
  parseDiagnosticLine,
  pickVictim,
  REPO_ROOT,
  type HostExit,
  type KillableProcess,
  type TxnEvent,
} from './processes.ts';
import { existsSync } from 'node:fs';

const txn = (event: TxnEvent['event'], records: number): TxnEvent => ({ ch: 'ambit:runtime:txn', t: 0, event, records, tasks: [] });

describe('paths', () => {
  it('finds the host entry point from the repository root', () => {
    expect(existsSync(HOST_MAIN)).toBe(true);
    expect(HOST_MAIN.startsWith(REPO_ROOT)).toBe(true);
  });
});

describe('mulberry32', () => {
  it('is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });
});

describe('parseDiagnosticLine', () => {
  it('parses diagnostics lines and ignores anything else', () => {
    expect(parseDiagnosticLine('{"ch":"ambit:runtime:txn","t":1,"event":"begin","records":0}')).toEqual({
      ch: 'ambit:runtime:txn',
      t: 1,
      event: 'begin',
      records: 0,
    });
    expect(parseDiagnosticLine('usage: agent-host')).toBeUndefined();
    expect(parseDiagnosticLine('{"no":"channel"}')).toBeUndefined();
    expect(parseDiagnosticLine('{broken')).toBeUndefined();
  });
});

describe('openTxnRecords', () => {
  it('counts only an open transaction with completed records', () => {
    expect(openTxnRecords(undefined)).toBe(0);
    expect(openTxnRecords(txn('begin', 0))).toBe(0);
    expect(openTxnRecords(txn('progress', 3))).toBe(3);
    expect(openTxnRecords(txn('begin', 2))).toBe(2);
    expect(openTxnRecords(txn('commit', 3))).toBe(0);
    expect(openTxnRecords(txn('abort', 3))).toBe(0);
  });
});

class FakeProcess implements KillableProcess {
  static nextPid = 100;
  readonly pid = FakeProcess.nextPid++;
  lastTxn: TxnEvent | undefined;
  endedTxns = 0;
  exited: HostExit | undefined;
  signals: string[] = [];
  constructor(lastTxn?: TxnEvent) {
    this.lastTxn = lastTxn;
  }
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.signals.push(signal);
    this.exited = { code: null, signal };
  }
  async waitExit(): Promise<HostExit> {
    return this.exited ?? { code: 0, signal: null };
  }
}

class FakeSlot {
  process: FakeProcess;
  restarts = 0;
  constructor(
    readonly name: string,
    lastTxn?: TxnEvent,
  ) {
    this.process = new FakeProcess(lastTxn);
  }
  restart(): void {
    this.restarts++;
    this.process = new FakeProcess();
  }
}

describe('pickVictim', () => {
  it('picks only live hosts with an open transaction holding records', () => {
    const slots = [
      new FakeSlot('a', txn('commit', 5)),
      new FakeSlot('b', txn('progress', 2)),
      new FakeSlot('c', txn('begin', 0)),
      new FakeSlot('d', txn('progress', 1)),
    ];
    slots[3]!.process.exited = { code: null, signal: 'SIGKILL' };
    for (const r of [0, 0.3, 0.7, 0.999]) expect(pickVictim(slots, () => r)?.name).toBe('b');
    expect(pickVictim([slots[0]!, slots[2]!], () => 0.5)).toBeUndefined();
  });

  it('chooses uniformly among the eligible', () => {
    const slots = [new FakeSlot('a', txn('progress', 1)), new FakeSlot('b', txn('progress', 1)), new FakeSlot('c', txn('progress', 1))];
    expect(pickVictim(slots, () => 0)?.name).toBe('a');
    expect(pickVictim(slots, () => 0.5)?.name).toBe('b');
    expect(pickVictim(slots, () => 0.99)?.name).toBe('c');
  });
});

describe('KillSchedule', () => {
  /** A virtual clock: sleep advances time and lets the test change the hosts at chosen instants. */
  function virtualTime(onTick: (now: number) => void) {
    let now = 0;
    return {
      now: () => now,
      sleep: async (ms: number) => {
        now += Math.max(1, Math.round(ms));
        onTick(now);
      },
    };
  }

  it('kills only hosts showing an open transaction, logs and restarts them', async () => {
    const slots = [new FakeSlot('h0'), new FakeSlot('h1'), new FakeSlot('h2')];
    // Every 50 ms of virtual time, host (t/50 % 3) opens a transaction with t/50 % 4 records; the others commit.
    const time = virtualTime((now) => {
      const k = Math.floor(now / 50);
      slots.forEach((s, i) => {
        if (s.process.exited) return;
        s.process.lastTxn = i === k % 3 ? txn('progress', k % 4) : txn('commit', 7);
      });
    });
    const entries: unknown[] = [];
    const schedule = new KillSchedule({
      seed: 7,
      hosts: slots,
      minIntervalMs: 100,
      maxIntervalMs: 300,
      maxKills: 12,
      ...time,
      onKill: (e) => entries.push(e),
    });
    const log = await schedule.run();

    expect(log).toHaveLength(12);
    expect(entries).toEqual(log);
    expect(log.every((e) => e.txnRecords >= 1)).toBe(true);
    expect(log.every((e) => e.openAtExit === true)).toBe(true);
    expect(slots.reduce((n, s) => n + s.restarts, 0)).toBe(12);
    // Kill times increase and each names the pid it killed.
    expect(log.map((e) => e.at)).toEqual([...log.map((e) => e.at)].sort((a, b) => a - b));
    expect(new Set(log.map((e) => e.pid)).size).toBe(12);
    expect(new Set(log.map((e) => e.host)).size).toBeGreaterThan(1);
  });

  it('is reproducible for a seed', async () => {
    const run = async (seed: number) => {
      const slots = [new FakeSlot('a'), new FakeSlot('b')];
      const time = virtualTime(() => slots.forEach((s) => (s.process.lastTxn = txn('progress', 1))));
      return (await new KillSchedule({ seed, hosts: slots, minIntervalMs: 10, maxIntervalMs: 1000, maxKills: 8, ...time }).run()).map(
        (e) => [e.at, e.host],
      );
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });

  it('skips a round when no host has an open transaction in time', async () => {
    const slots = [new FakeSlot('a', txn('commit', 3))];
    const time = virtualTime((now) => {
      if (now > 1000) schedule.stop();
    });
    const schedule: KillSchedule<FakeSlot> = new KillSchedule({
      seed: 1,
      hosts: slots,
      minIntervalMs: 10,
      maxIntervalMs: 10,
      selectTimeoutMs: 100,
      pollMs: 5,
      ...time,
    });
    expect(await schedule.run()).toEqual([]);
    expect(schedule.skipped).toBeGreaterThan(5);
    expect(slots[0]!.process.signals).toEqual([]);
  });
});
