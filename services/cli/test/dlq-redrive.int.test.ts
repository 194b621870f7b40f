/**
 * `ambit dlq redrive` end to end, as a process: records an agent dead-lettered go back to
 * their input topic byte for byte, exactly once across runs; a fixed agent version then
 * decides them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '@ambit/agent-api';
import { startAgent } from '@ambit/runtime';
import { counter, freshNamespace, readCommitted } from '../../../libs/runtime/test/fixtures.ts';
import type { RedriveReport } from '../src/commands/dlq.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function ambit(brokers: readonly string[], ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'services/cli/src/main.ts', ...args, '--brokers', brokers.join(',')],
      { cwd: REPO, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function until(cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Version 1.0.1: the bug that failed `fail` events is fixed. */
const fixed = defineAgent({
  ...counter,
  version: '1.0.1',
  handlers: { events: (ctx, e) => counter.handlers.events(ctx, { ...e, fail: false }) },
});

describe('ambit dlq redrive', () => {
  it('re-drives dead-lettered records once; a fixed version decides them', { timeout: 180_000 }, async () => {
    const n = await freshNamespace(2);
    const decisions = () => readCommitted(n.conn, `${n.ns}.decisions`, 2);
    const inputs = () => readCommitted(n.conn, `${n.ns}.events`, 2);
    await n.produce(Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: { tenant: 't', n: i, fail: i === 3 || i === 7 } })));
    const dead = () => readCommitted(n.conn, `${n.ns}.counter.dlq`, 2);
    const v1 = await startAgent(counter, n.config({ handlerAttempts: 1 }));
    try {
      // Both, not decisions alone: a dead letter may commit after the last decision.
      await until(async () => (await decisions()).length >= 8 && (await dead()).length >= 2);
    } finally {
      await v1.stop();
    }
    const dlq = await dead();
    expect(dlq).toHaveLength(2);

    const cli = (...args: string[]) =>
      ambit(n.conn.brokers, 'dlq', 'redrive', '--namespace', n.ns, '--agent', 'counter', '--json', ...args);
    // Dry run: lists, writes nothing, remembers nothing.
    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout) as RedriveReport).toMatchObject({ redriven: 2, skipped: 0, dryRun: true });
    expect(await inputs()).toHaveLength(10);
    // A filter that selects nothing passes the records over (they stay for --from-start).
    const other = await cli('--code', 'SERDE_BAD_BYTES');
    expect(JSON.parse(other.stdout) as RedriveReport).toMatchObject({ redriven: 0, skipped: 2 });
    expect(await inputs()).toHaveLength(10);
    const again = await cli('--code', 'HANDLER_FAILED');
    expect(JSON.parse(again.stdout) as RedriveReport).toMatchObject({ redriven: 0, skipped: 0 });
    // From the start, selecting their code: both go back.
    const real = await cli('--code', 'HANDLER_FAILED', '--from-start');
    expect(real.code, real.stderr).toBe(0);
    const report = JSON.parse(real.stdout) as RedriveReport;
    expect(report).toMatchObject({ redriven: 2, skipped: 0, dryRun: false });
    expect(report.records.map((r) => r.to)).toEqual([`${n.ns}.events`, `${n.ns}.events`]);
    // Once: a second run finds nothing new.
    expect(JSON.parse((await cli()).stdout) as RedriveReport).toMatchObject({ redriven: 0, skipped: 0 });

    const all = await inputs();
    expect(all).toHaveLength(12);
    const back = all.filter((r) => r.headers['ambit-redriven-from'] !== undefined);
    expect(back.map((r) => r.value!.toString('hex')).sort()).toEqual(dlq.map((r) => r.value!.toString('hex')).sort());
    expect(back.map((r) => r.key).sort()).toEqual(dlq.map((r) => r.key).sort());
    for (const r of back) expect(r.headers['ambit-dlq-code']).toBeUndefined();

    const v2 = await startAgent(fixed, n.config());
    try {
      await until(async () => (await decisions()).length >= 10);
    } finally {
      await v2.stop();
    }
    const decided = (await decisions()).map((d) => d.headers['ambit-source']!.toString());
    expect(decided).toHaveLength(10);
    for (const r of back) expect(decided).toContain(`events/${r.partition}/${r.offset}`);
  });

  it('exits 1 naming the topic when the agent has no DLQ in the namespace', async () => {
    const n = await freshNamespace(1);
    const res = await ambit(n.conn.brokers, 'dlq', 'redrive', '--namespace', n.ns, '--agent', 'nobody');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`error [KAFKA_TOPIC_NOT_FOUND]: no DLQ topic ${n.ns}.nobody.dlq`);
  });
});
