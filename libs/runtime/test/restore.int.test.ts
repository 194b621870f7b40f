/**
 * Restore from changelogs (invariant 5, docs/invariants.md): a restart with a checkpoint reads
 * only the changelog tail; a crash after commit but before the local apply restores exactly the
 * unapplied records; a recreated changelog stops the task unless a state reset is asked for.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { createAdmin } from '@ambit/kafka';
import { waitForSettledTransactions } from '@ambit/testing';
import { DIAGNOSTIC_CHANNELS, startAgent, type RunningAgent } from '../src/index.ts';
import { counter, freshNamespace, readCommitted, type Namespace, until as waitUntil } from './fixtures.ts';

interface RestoreEvent {
  task: number;
  event: string;
  records: number;
}

/** Collects restore diagnostics while `fn` runs. */
function watchRestores(): { events: RestoreEvent[]; stop: () => void } {
  const events: RestoreEvent[] = [];
  const onMessage = (m: unknown): void => void events.push(m as RestoreEvent);
  diagnostics.subscribe(DIAGNOSTIC_CHANNELS.restore, onMessage);
  return { events, stop: () => diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.restore, onMessage) };
}

const until = (cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> => waitUntil(cond, timeoutMs, 200);

const restored = (events: RestoreEvent[]): number => events.filter((e) => e.event === 'done').reduce((a, e) => a + e.records, 0);
const decisionsOf = async (n: Namespace): Promise<number> => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length;

const running: RunningAgent[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((r) => r.stop()));
});

async function run(n: Namespace, over: Parameters<Namespace['config']>[0], expectDecisions: number): Promise<void> {
  const r = await startAgent(counter, n.config(over));
  running.push(r);
  await until(async () => (await decisionsOf(n)) >= expectDecisions);
  await r.stop();
}

describe('restore', () => {
  it('a restart with a checkpoint reads only the changelog tail', async () => {
    const n = await freshNamespace(1);
    const dirA = mkdtempSync(join(tmpdir(), 'ambit-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'ambit-b-'));
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 7}`, value: { tenant: 't', n: from + i, fail: false } }));
    await n.produce(batch(0, 120));
    await run(n, { stateDir: dirA }, 120); // A's store checkpoints 120 changelog records
    await n.produce(batch(120, 35));
    await run(n, { stateDir: dirB, instanceId: 'i1' }, 155); // B restores 120, writes 35 more
    const watch = watchRestores();
    try {
      await n.produce(batch(155, 1));
      await run(n, { stateDir: dirA }, 156); // A restores only the 35 it did not see
    } finally {
      watch.stop();
    }
    expect(restored(watch.events)).toBe(35);
    const changelog = await readCommitted(n.conn, `${n.ns}.counter.tallies.changelog`, 1);
    const last = new Map(changelog.map((r) => [r.key!, JSON.parse(r.value!.toString())]));
    expect(last.get('k0')).toMatchObject({ count: batch(0, 156).filter((e) => e.key === 'k0').length });
  });

  it('a crash after commit but before the local apply restores exactly the unapplied records', async () => {
    const n = await freshNamespace(1);
    const dir = mkdtempSync(join(tmpdir(), 'ambit-c-'));
    await n.produce(Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 4}`, value: { tenant: 't', n: i, fail: false } })));
    await run(n, { stateDir: dir }, 40);
    // 25 more, and a crash right after the commit of the first transaction holding them. The
    // commit is due at 25 records (a condition), not on a clock: the interval only caps it.
    await n.produce(Array.from({ length: 25 }, (_, i) => ({ key: `k${i % 5}`, value: { tenant: 't', n: 100 + i, fail: false } })));
    // Records in the open transaction, from the runtime's own count, so the assertions below
    // hold even if a slow machine commits fewer than 25 before the interval runs out.
    let open = 0;
    const onTxn = (m: unknown): void => {
      const e = m as { event: string; records: number };
      if (e.event === 'begin' || e.event === 'progress') open = e.records;
    };
    const crashed: number[] = [];
    const crashAfterCommit = (): void => {
      crashed.push(open);
      throw new Error('crash');
    };
    diagnostics.subscribe(DIAGNOSTIC_CHANNELS.txn, onTxn);
    try {
      const crashing = await startAgent(
        counter,
        n.config({ stateDir: dir, commitIntervalMs: 5_000, maxBatchRecords: 25, testHooks: { afterCommit: crashAfterCommit } }),
      );
      await expect(crashing.stopped).rejects.toThrow(/crash/);
    } finally {
      diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.txn, onTxn);
    }
    expect(crashed).toHaveLength(1);
    const unapplied = crashed[0]!;
    expect(unapplied).toBeGreaterThanOrEqual(1);
    expect(unapplied).toBeLessThanOrEqual(25);
    // The commit returned before its markers were written: wait for them, not for a clock.
    await waitForSettledTransactions({ brokers: n.conn.brokers, topic: `${n.ns}.decisions` });
    expect(await decisionsOf(n)).toBe(40 + unapplied); // the transaction did commit
    const watch = watchRestores();
    try {
      await n.produce([{ key: 'k0', value: { tenant: 't', n: 999, fail: false } }]);
      await run(n, { stateDir: dir }, 66);
    } finally {
      watch.stop();
    }
    expect(restored(watch.events)).toBe(unapplied);
    const changelog = await readCommitted(n.conn, `${n.ns}.counter.tallies.changelog`, 1);
    const k0 = changelog.filter((r) => r.key === 'k0').map((r) => JSON.parse(r.value!.toString()));
    // k0: 10 of the first 40, 5 of the 25, then 999: the fold continued from the restored state.
    expect(k0.at(-1)).toMatchObject({ count: 16 });
  });

  it("a store checkpointed longer ago than the changelog's tombstone retention is rebuilt; a fresher one only reads the tail", async () => {
    const n = await freshNamespace(1);
    const dir = mkdtempSync(join(tmpdir(), 'ambit-e-'));
    const changelog = `${n.ns}.counter.tallies.changelog`;
    // Long enough that the second run (started at once) is within it even on a busy machine.
    const retentionMs = 30_000;
    // The operator's retention, not the one Ambit would create the changelog with.
    const admin = await createAdmin(n.conn);
    try {
      await admin.createTopics([
        {
          name: changelog,
          partitions: 1,
          replicationFactor: 1,
          configs: { 'cleanup.policy': 'compact', 'delete.retention.ms': String(retentionMs) },
        },
      ]);
    } finally {
      await admin.close();
    }
    const event = (i: number) => ({ key: 'k', value: { tenant: 't', n: i, fail: false } });
    await n.produce(Array.from({ length: 10 }, (_, i) => event(i)));
    await run(n, { stateDir: dir }, 10);
    const fresh = watchRestores();
    try {
      await n.produce([event(10)]);
      await run(n, { stateDir: dir }, 11); // at once: within the retention
    } finally {
      fresh.stop();
    }
    expect(fresh.events.some((e) => e.event === 'wipe')).toBe(false);
    expect(restored(fresh.events)).toBe(0);

    await new Promise((r) => setTimeout(r, retentionMs + 500));
    // What a rebuild has to replay: every changelog of the agent, from the start.
    const progressTopic = `${n.ns}.counter.ambit-progress.changelog`;
    const before = (await readCommitted(n.conn, changelog, 1)).length + (await readCommitted(n.conn, progressTopic, 1)).length;
    expect(before).toBeGreaterThanOrEqual(11);
    const stale = watchRestores();
    try {
      await n.produce([event(11)]);
      await run(n, { stateDir: dir }, 12);
    } finally {
      stale.stop();
    }
    expect(stale.events.some((e) => e.event === 'wipe')).toBe(true);
    expect(restored(stale.events)).toBe(before); // the whole changelogs, not their (empty) tails
    const tallies = await readCommitted(n.conn, changelog, 1);
    expect(tallies).toHaveLength(12);
    // The fold continued from the rebuilt state.
    expect(JSON.parse(tallies.at(-1)!.value!.toString())).toMatchObject({ count: 12 });
  }, 150_000);

  it('a recreated changelog stops the task with a clear error unless a state reset is asked for, then rebuilds', async () => {
    const n = await freshNamespace(1);
    const dir = mkdtempSync(join(tmpdir(), 'ambit-d-'));
    await n.produce(Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: { tenant: 't', n: i, fail: false } })));
    await run(n, { stateDir: dir }, 10);
    const changelog = `${n.ns}.counter.tallies.changelog`;
    const admin = await createAdmin(n.conn);
    try {
      await admin.deleteTopics([changelog]);
      await until(async () => !(await admin.listTopics()).includes(changelog));
      await admin.createTopics([{ name: changelog, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }]);
    } finally {
      await admin.close();
    }
    const refused = await startAgent(counter, n.config({ stateDir: dir }));
    running.push(refused);
    const error = await refused.stopped.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAmbitError(error, 'STATE_CHANGELOG_RECREATED')).toBe(true);
    expect(String((error as Error).message)).toContain(changelog);
    expect(String((error as Error).message)).toContain('AMBIT_STATE_RESET');

    const watch = watchRestores();
    try {
      await n.produce([{ key: 'k', value: { tenant: 't', n: 100, fail: false } }]);
      await run(n, { stateDir: dir, stateReset: true }, 11);
    } finally {
      watch.stop();
    }
    expect(watch.events.some((e) => e.event === 'wipe')).toBe(true);
    const rebuilt = await readCommitted(n.conn, changelog, 1);
    // The store was rebuilt from the new, empty changelog: the fold starts again.
    expect(rebuilt.map((r) => JSON.parse(r.value!.toString()))).toEqual([{ count: 1, sum: 100, seq: [100] }]);
  });
});
