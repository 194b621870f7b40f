/**
 * Key-level concurrency and durable steps, in-process against the real broker, registry and
 * the fake model server: records of different keys run at once while every key's outputs
 * and state follow its input order; every step is paid once and its usage lands on the
 * decision; an always-failing step ends in the DLQ after its retries while other keys keep
 * committing, and the partition pauses at the distance bound instead of queueing without limit.
 */
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { startFakeModelServer, testPlatform, type FakeModelServer } from '@ambit/testing';
import { DIAGNOSTIC_CHANNELS, startAgent } from '../src/index.ts';
import { stepper } from './agents.ts';
import { freshNamespace, readCommitted, until as waitUntil } from './fixtures.ts';

const until = (cond: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> => waitUntil(cond, timeoutMs, 100);

let model: FakeModelServer;
beforeAll(async () => {
  model = await startFakeModelServer({ latencyMs: 50 });
});
afterAll(() => model.close());

/** Most calls the server had in flight at once. */
const peakConcurrency = (m: FakeModelServer): number => Math.max(...m.calls.map((c) => m.inFlightAt(c.startedAt)));

describe('key-level concurrency with durable steps', () => {
  it('runs keys concurrently, keeps each key in order, pays every step once and books its usage', { timeout: 120_000 }, async () => {
    const n = await freshNamespace(3);
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const events = Array.from({ length: 400 }, (_, i) => ({
      key: keys[(i * 7) % keys.length]!,
      value: { tenant: 't', n: i, fail: false },
    }));
    await n.produce(events);
    const before = model.calls.length;
    const running = await startAgent(stepper(model.url), n.config({ maxInFlight: 32, maxDistance: 200 }));
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 3)).length >= 400);
    } finally {
      await running.stop();
    }
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 3);
    expect(decisions).toHaveLength(400);
    // Per key, outputs in the order of its inputs (no gap, repeat or swap).
    const serde = avroSerde<{ outcome: string; usage: { inputTokens: number; outputTokens: number; steps: number } | null }>({
      registry: createSchemaRegistryClient({ url: testPlatform().registryUrl }),
      subject: valueSubject(`${n.ns}.decisions`),
      schema: loadSchema('Decision').schema,
    });
    const outByKey = new Map<string, number[]>();
    for (const d of decisions) {
      const v = await serde.deserialize(d.value!);
      outByKey.set(d.key!, [...(outByKey.get(d.key!) ?? []), Number(v.outcome)]);
      expect(v.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: 12, steps: 1 });
    }
    for (const k of keys) expect(outByKey.get(k)).toEqual(events.filter((e) => e.key === k).map((e) => e.value.n));
    // State: each key's full sequence, in input order.
    const changelog = await readCommitted(n.conn, `${n.ns}.stepper.tallies.changelog`, 3);
    const latest = new Map<string, { seq: number[] }>();
    for (const r of changelog) latest.set(r.key!, JSON.parse(r.value!.toString()));
    for (const k of keys) expect(latest.get(k)?.seq).toEqual(events.filter((e) => e.key === k).map((e) => e.value.n));
    // Paid once; and concurrency really happened.
    const calls = model.calls.slice(before);
    expect(calls).toHaveLength(400);
    expect(new Set(calls.map((c) => c.stepId)).size).toBe(400);
    expect(peakConcurrency(model)).toBeGreaterThanOrEqual(8);
    // The journal holds one entry per step.
    expect(await readCommitted(n.conn, `${n.ns}.stepper.journal`, 3)).toHaveLength(400);
  });

  it(
    'an always-failing step goes to the DLQ after its retries while other keys commit; the partition pauses at the distance bound',
    { timeout: 120_000 },
    async () => {
      const n = await freshNamespace(1);
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      const events = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % keys.length]!, value: { tenant: 't', n: i, fail: i === 5 } }));
      await n.produce(events);
      model.failWhen('ALWAYS-FAIL', 503);
      const before = model.calls.length;
      const paused: Array<{ queued: number }> = [];
      const onTask = (m: unknown): void => {
        const e = m as { paused?: unknown; queued: number };
        if (e.paused === 'distance bound') paused.push({ queued: e.queued });
      };
      // Records committed before the failing one was dead-lettered, from the runtime's events:
      // a read of the topics while the step retries would race its ~2 s of backoff.
      let committed = 0;
      let decidedWhileFailing: number | undefined;
      const onCommit = (m: unknown): void => void (committed += (m as { records: number }).records);
      const onError = (m: unknown): void => {
        if ((m as { event: string }).event === 'dead-letter') decidedWhileFailing ??= committed;
      };
      diagnostics.subscribe(DIAGNOSTIC_CHANNELS.task, onTask);
      diagnostics.subscribe(DIAGNOSTIC_CHANNELS.commit, onCommit);
      diagnostics.subscribe(DIAGNOSTIC_CHANNELS.error, onError);
      const MAX_DISTANCE = 20;
      const running = await startAgent(stepper(model.url), n.config({ maxInFlight: 8, maxDistance: MAX_DISTANCE, pollRecords: 50 }));
      try {
        await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length >= 199);
      } finally {
        await running.stop();
        diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.task, onTask);
        diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.commit, onCommit);
        diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.error, onError);
      }
      // Before the failing step gave up (4 calls, backoff 0.3 + 0.6 + 1.2 s), others had committed.
      expect(decidedWhileFailing).toBeGreaterThanOrEqual(10);
      // Never more than the distance bound past the failing record while it ran.
      expect(decidedWhileFailing).toBeLessThanOrEqual(5 + MAX_DISTANCE); // offsets 0-4, then at most the bound past offset 5
      expect(paused.length).toBeGreaterThan(0);
      for (const p of paused) expect(p.queued).toBeLessThanOrEqual(MAX_DISTANCE + 50);
      const dlq = await readCommitted(n.conn, `${n.ns}.stepper.dlq`, 1);
      expect(dlq.map((r) => r.headers['ambit-source']?.toString())).toEqual(['events/0/5']);
      expect(dlq[0]!.headers['ambit-dlq-code']?.toString()).toBe('RUNTIME_STEP_FAILED');
      expect(dlq[0]!.headers['ambit-dlq-cause']?.toString()).toContain('step ask failed after 4 attempt(s): model fake answered HTTP 503');
      const failing = model.calls.slice(before).filter((c) => c.stepId?.startsWith('events/0/5#'));
      expect(failing).toHaveLength(4);
      expect(await readCommitted(n.conn, `${n.ns}.decisions`, 1)).toHaveLength(199);
    },
  );
});
