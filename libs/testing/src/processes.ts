/**
 * End-to-end harness for tests that run agent hosts as real processes: spawn
 * `services/agent-host` with diagnostics on stdout, follow its transaction and task
 * events, kill and restart it (principle 12, docs/principles.md: the third distance).
 * Every spawned host is tracked, so `killAllHosts()` in `afterAll` (and, as a last resort,
 * this process's exit) leaves nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTIC_CHANNELS } from '@ambit/runtime';

/** The repository root, from this file's location (libs/testing/src). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The host entry point the harness runs with `node --import tsx`. */
export const HOST_MAIN = fileURLToPath(new URL('../../../services/agent-host/src/main.ts', import.meta.url));

/** One line of a host's stdout: `{"ch":<channel>,"t":<ms>,...message}` (services/agent-host diagnostics). */
export interface DiagnosticEvent {
  readonly ch: string;
  readonly t: number;
  readonly [field: string]: unknown;
}

/** A message on `ambit:runtime:txn`. `records`: records completed in the transaction so far. */
export interface TxnEvent extends DiagnosticEvent {
  readonly event: 'begin' | 'progress' | 'commit' | 'abort';
  readonly records: number;
  readonly tasks?: readonly number[];
  readonly ms?: number;
}

/** The runtime's diagnostics channels, as the host writes them to stdout. */
export const CHANNELS = DIAGNOSTIC_CHANNELS;

export interface HostSpec {
  /** For logs and kill logs; also the default AMBIT_INSTANCE_ID. */
  readonly name: string;
  /**
   * Added to this process's environment; AMBIT_DIAGNOSTICS is always `stdout`, and
   * AMBIT_MAX_CRASH_ATTEMPTS defaults to 1000 (external kills are not poison records).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Host flags, e.g. `['--module', 'examples/moderation/src/agent.ts']`. */
  readonly args: readonly string[];
  /** Working directory (relative module paths resolve from it); default REPO_ROOT. */
  readonly cwd?: string;
}

export interface HostExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface HostProcess {
  readonly name: string;
  readonly spec: HostSpec;
  readonly pid: number;
  /** Emits `diagnostic` (DiagnosticEvent) per stdout line and `exit` (HostExit) once stdout is drained. */
  readonly events: EventEmitter;
  /** The most recent `ambit:runtime:txn` event. */
  readonly lastTxn: TxnEvent | undefined;
  /** How many transactions this process was seen to end (txn `commit` or `abort` events). */
  readonly endedTxns: number;
  /** Last state per task from `ambit:runtime:task`. */
  readonly taskStates: ReadonlyMap<number, string>;
  /** Set once the process exited and its output was read to the end. */
  readonly exited: HostExit | undefined;
  /** Settles (never rejects) with the exit, after the last stdout line was parsed. */
  readonly stopped: Promise<HostExit>;
  /** Diagnostics from now until the process exits. */
  diagnostics(): AsyncIterableIterator<DiagnosticEvent>;
  /** The first diagnostic from now on that satisfies `predicate`; rejects on timeout or exit. */
  waitFor(predicate: (e: DiagnosticEvent) => boolean, timeoutMs: number, what?: string): Promise<DiagnosticEvent>;
  /** The last `lines` lines of stderr (logs), for failure messages. */
  stderrTail(lines?: number): string;
  /** Non-diagnostic stdout lines (e.g. --help output). */
  stdoutTail(lines?: number): string;
  kill(signal?: NodeJS.Signals): void;
  /** The exit; rejects after `timeoutMs` with the stderr tail. */
  waitExit(timeoutMs: number): Promise<HostExit>;
  /** SIGTERM, then waits up to `timeoutMs` for the exit (the host commits and leaves the group). */
  stop(timeoutMs?: number): Promise<HostExit>;
}

const live = new Set<HostProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a suite dies without afterAll: never leave hosts holding partitions.
  process.once('exit', () => {
    for (const h of live) {
      try {
        h.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Hosts spawned and not yet exited. */
export function liveHosts(): readonly HostProcess[] {
  return [...live];
}

/** SIGKILLs every host still running (and SIGCONTs paused ones first) and waits for their exits. For `afterAll`. */
export async function killAllHosts(timeoutMs = 10_000): Promise<void> {
  const hosts = [...live];
  for (const h of hosts) {
    try {
      h.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(hosts.map((h) => h.waitExit(timeoutMs).catch(() => undefined)));
}

/** The last `size` lines of a stream. */
export class Ring {
  readonly #lines: string[] = [];
  constructor(readonly size: number) {}
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.splice(0, this.#lines.length - this.size);
  }
  tail(n: number): string {
    return this.#lines.slice(-n).join('\n');
  }
}

/** Splits a stream into lines, keeping a partial last line until it completes (or the stream ends). */
export function onLines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buf.length > 0) fn(buf);
    buf = '';
  });
}

/** Parses one stdout line; undefined when it is not a diagnostics line. */
export function parseDiagnosticLine(line: string): DiagnosticEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as { ch?: unknown }).ch === 'string') return v as DiagnosticEvent;
  } catch {
    // not JSON: a stray line
  }
  return undefined;
}

/** Starts a host: `node --import tsx services/agent-host/src/main.ts ...spec.args`. */
export function spawnHost(spec: HostSpec): HostProcess {
  installExitHook();
  const env: Record<string, string> = {};
  // Suites SIGKILL hosts from outside at random moments, also while a restarted host re-runs
  // its in-flight records one at a time: those kills are not the record's doing, so poison
  // detection is off unless a test sets AMBIT_MAX_CRASH_ATTEMPTS (the poison suite does).
  const defaults = { AMBIT_INSTANCE_ID: spec.name, AMBIT_MAX_CRASH_ATTEMPTS: '1000' };
  for (const [k, v] of Object.entries({ ...process.env, ...defaults, ...(spec.env ?? {}) })) {
    if (v !== undefined) env[k] = v;
  }
  env.AMBIT_DIAGNOSTICS = 'stdout';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', HOST_MAIN, ...spec.args], {
    cwd: spec.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn host ${spec.name}`);
  const pid = child.pid;

  const events = new EventEmitter();
  events.setMaxListeners(0);
  const stderr = new Ring(400);
  const stdout = new Ring(200);
  const taskStates = new Map<number, string>();
  let lastTxn: TxnEvent | undefined;
  let endedTxns = 0;
  let exited: HostExit | undefined;

  onLines(child.stdout!, (line) => {
    const e = parseDiagnosticLine(line);
    if (!e) return stdout.push(line);
    if (e.ch === CHANNELS.txn) {
      lastTxn = e as TxnEvent;
      if (lastTxn.event === 'commit' || lastTxn.event === 'abort') endedTxns++;
    }
    if (e.ch === CHANNELS.task && typeof e.task === 'number' && typeof e.state === 'string') taskStates.set(e.task, e.state);
    events.emit('diagnostic', e);
  });
  onLines(child.stderr!, (line) => stderr.push(line));

  const stopped = new Promise<HostExit>((resolve) => {
    // 'close' comes after the stdio streams ended: every line has been handled.
    child.once('close', (code, signal) => {
      exited = { code, signal };
      live.delete(host);
      events.emit('exit', exited);
      resolve(exited);
    });
    child.once('error', (err) => {
      stderr.push(`spawn error: ${err.message}`);
    });
  });

  const waitExit = async (timeoutMs: number): Promise<HostExit> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        stopped,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`host ${spec.name} (pid ${pid}) did not exit within ${timeoutMs} ms\n${stderr.tail(30)}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const host: HostProcess = {
    name: spec.name,
    spec,
    pid,
    events,
    get lastTxn() {
      return lastTxn;
    },
    get endedTxns() {
      return endedTxns;
    },
    taskStates,
    get exited() {
      return exited;
    },
    stopped,
    diagnostics: () => iterate(events, () => exited !== undefined),
    waitFor(predicate, timeoutMs, what = 'diagnostic') {
      return new Promise<DiagnosticEvent>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          events.off('diagnostic', onEvent);
          events.off('exit', onExit);
        };
        const onEvent = (e: DiagnosticEvent): void => {
          if (!predicate(e)) return;
          cleanup();
          resolve(e);
        };
        const onExit = (x: HostExit): void => {
          cleanup();
          reject(new Error(`host ${spec.name} exited (${x.code ?? x.signal}) while waiting for ${what}\n${stderr.tail(30)}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`host ${spec.name}: no ${what} within ${timeoutMs} ms\n${stderr.tail(30)}`));
        }, timeoutMs);
        if (exited) return onExit(exited);
        events.on('diagnostic', onEvent);
        events.on('exit', onExit);
      });
    },
    stderrTail: (lines = 50) => stderr.tail(lines),
    stdoutTail: (lines = 50) => stdout.tail(lines),
    kill(signal = 'SIGKILL') {
      if (exited) return;
      // A SIGSTOPped host (fault hook) ignores SIGTERM until continued.
      if (signal !== 'SIGKILL' && signal !== 'SIGCONT') child.kill('SIGCONT');
      child.kill(signal);
    },
    waitExit,
    async stop(timeoutMs = 30_000) {
      host.kill('SIGTERM');
      return waitExit(timeoutMs);
    },
  };
  live.add(host);
  return host;
}

/** Async iteration over an emitter's `diagnostic` events until `exit`. */
function iterate(events: EventEmitter, isDone: () => boolean): AsyncIterableIterator<DiagnosticEvent> {
  const queue: DiagnosticEvent[] = [];
  let wake: (() => void) | undefined;
  let done = isDone();
  const onEvent = (e: DiagnosticEvent): void => {
    queue.push(e);
    wake?.();
  };
  const onExit = (): void => {
    done = true;
    wake?.();
  };
  events.on('diagnostic', onEvent);
  events.on('exit', onExit);
  const finish = (): IteratorResult<DiagnosticEvent> => {
    events.off('diagnostic', onEvent);
    events.off('exit', onExit);
    done = true;
    queue.length = 0;
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (queue.length > 0) return { done: false, value: queue.shift()! };
      return finish();
    },
    async return() {
      return finish();
    },
  };
}

/**
 * A process slot: a name, instance id and state dir that survive restarts (the runtime's
 * transactional id comes from the instance id, so a restart fences its predecessor).
 */
export class HostSlot {
  readonly spec: HostSpec;
  readonly #generations: HostProcess[] = [];

  constructor(spec: HostSpec) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The current (latest) process; throws before the first start. */
  get process(): HostProcess {
    const p = this.#generations.at(-1);
    if (!p) throw new Error(`host ${this.spec.name} was never started`);
    return p;
  }

  /** Every process this slot ran, oldest first. */
  get generations(): readonly HostProcess[] {
    return this.#generations;
  }

  /** Starts the slot; refuses while its current process still runs (two live processes with one instance id fence each other). */
  start(): HostProcess {
    const current = this.#generations.at(-1);
    if (current && !current.exited) throw new Error(`host ${this.spec.name} (pid ${current.pid}) is still running`);
    const p = spawnHost(this.spec);
    this.#generations.push(p);
    return p;
  }

  async restart(): Promise<HostProcess> {
    const current = this.#generations.at(-1);
    if (current && !current.exited) await current.waitExit(30_000);
    return this.start();
  }
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). Seeds make a failing schedule re-runnable. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Records in the transaction `e` shows open: its `records` if the last event is begin or
 * progress with at least one completed record, else 0 (committed, aborted, or empty).
 */
export function openTxnRecords(e: TxnEvent | undefined): number {
  if (!e) return 0;
  if ((e.event === 'begin' || e.event === 'progress') && typeof e.records === 'number' && e.records >= 1) return e.records;
  return 0;
}

/** What the kill schedule needs of a running host (HostProcess has it). */
export type KillableProcess = Pick<HostProcess, 'pid' | 'lastTxn' | 'endedTxns' | 'exited' | 'kill' | 'waitExit'>;

/** What the kill schedule needs of a slot (HostSlot has it). */
export interface KillTarget {
  readonly name: string;
  readonly process: KillableProcess;
  restart(): Promise<unknown> | unknown;
}

export interface KillLogEntry {
  /** ms since the schedule started. */
  readonly at: number;
  readonly host: string;
  readonly pid: number;
  /** Records in the open transaction when the host was picked (>= 1). */
  readonly txnRecords: number;
  /**
   * After the host's last output was read: still no commit/abort after the picked event?
   * False means the commit raced the kill (the transaction may have committed).
   */
  openAtExit?: boolean;
}

/** Picks uniformly among hosts that are running and show an open transaction with >= 1 record; undefined if none. */
export function pickVictim<T extends KillTarget>(targets: readonly T[], rand: () => number): T | undefined {
  const eligible = targets.filter((t) => !t.process.exited && openTxnRecords(t.process.lastTxn) > 0);
  if (eligible.length === 0) return undefined;
  return eligible[Math.min(eligible.length - 1, Math.floor(rand() * eligible.length))];
}

export interface KillScheduleOptions<T extends KillTarget = KillTarget> {
  readonly seed: number;
  readonly hosts: readonly T[];
  /** Random pause before each kill, uniform in [min, max]. */
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  /** Stop after this many kills (default: until `stop()`). */
  readonly maxKills?: number;
  /** After a pause, how long to look for an eligible host before skipping this round (default 3000). */
  readonly selectTimeoutMs?: number;
  /** How often to look (default 2 ms: an open transaction lasts about a commit interval). */
  readonly pollMs?: number;
  /** Pause between a host's exit and its restart (default 0). */
  readonly restartDelayMs?: number;
  /** Called with each entry as soon as the kill is sent (e.g. to log it). */
  readonly onKill?: (entry: KillLogEntry) => void;
  /** Test seams. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * SIGKILLs hosts at seeded random times, each time one whose last txn event shows an open
 * transaction with at least one completed record (so the kill lands mid-transaction), and
 * restarts it with the same spec (instance id, state dir). `run()` resolves with the kill log
 * once `maxKills` is reached or `stop()` was called, and every restart has been issued.
 */
export class KillSchedule<T extends KillTarget = KillTarget> {
  readonly log: KillLogEntry[] = [];
  /** Rounds in which no host had an open transaction within `selectTimeoutMs`. */
  skipped = 0;
  readonly #o: KillScheduleOptions<T>;
  readonly #rand: () => number;
  readonly #abort = new AbortController();
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: KillScheduleOptions<T>) {
    if (options.minIntervalMs < 0 || options.maxIntervalMs < options.minIntervalMs)
      throw new RangeError('need 0 <= minIntervalMs <= maxIntervalMs');
    this.#o = options;
    this.#rand = mulberry32(options.seed);
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
  }

  /** Ends the schedule after the current round; a kill already sent still gets its restart. */
  stop(): void {
    this.#abort.abort();
  }

  async run(): Promise<KillLogEntry[]> {
    const o = this.#o;
    const signal = this.#abort.signal;
    const started = this.#now();
    const restarts: Array<Promise<unknown>> = [];
    const maxKills = o.maxKills ?? Infinity;
    const pollMs = o.pollMs ?? 2;
    while (!signal.aborted && this.log.length < maxKills) {
      await this.#sleep(o.minIntervalMs + this.#rand() * (o.maxIntervalMs - o.minIntervalMs), signal);
      if (signal.aborted) break;
      let victim: T | undefined;
      const until = this.#now() + (o.selectTimeoutMs ?? 3000);
      while (!signal.aborted && (victim = pickVictim(o.hosts, this.#rand)) === undefined && this.#now() < until) {
        await this.#sleep(pollMs, signal);
      }
      if (!victim) {
        if (!signal.aborted) this.skipped++;
        continue;
      }
      const proc = victim.process;
      const endedBefore = proc.endedTxns;
      const entry: KillLogEntry = { at: this.#now() - started, host: victim.name, pid: proc.pid, txnRecords: openTxnRecords(proc.lastTxn) };
      proc.kill('SIGKILL');
      this.log.push(entry);
      o.onKill?.(entry);
      const target = victim;
      restarts.push(
        (async () => {
          await proc.waitExit(30_000);
          // The host's stdout is drained now: did a commit or abort follow the event we acted on?
          entry.openAtExit = proc.endedTxns === endedBefore;
          if (o.restartDelayMs) await new Promise((r) => setTimeout(r, o.restartDelayMs));
          await target.restart();
        })(),
      );
      // Wait for the exit before the next round, so a slot is never picked twice for one death.
      await proc.waitExit(30_000).catch(() => undefined);
    }
    await Promise.all(restarts);
    return this.log;
  }
}
