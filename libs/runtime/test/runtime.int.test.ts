/**
 * The runtime against the real broker and registry, in-process: exactly-once outputs and
 * state for a simple agent, and a failing handler that leaves no trace.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent } from '@ambit/agent-api';
import { createProducer } from '@ambit/kafka';
import { startAgent } from '../src/index.ts';
import { counter, freshNamespace, readCommitted, until } from './fixtures.ts';

/** Attempts of the hanging handler that have made their late writes (or been refused them). */
let lateWrites = 0;

/** The counter, except that event 2 hangs (and writes state late, after its deadline). */
const hanging = defineAgent({
  ...counter,
  name: 'hanging',
  handlers: {
    events: async (ctx, e) => {
      if (e.n === 2) {
        await new Promise((r) => setTimeout(r, 700));
        try {
          ctx.stores.tallies.put(ctx.key, { count: -1, sum: -1, seq: [-1] });
          ctx.emitDecision({ tenant: e.tenant, kind: 'late', outcome: 'late' });
        } finally {
          lateWrites++;
        }
        await new Promise(() => {});
      }
      await counter.handlers.events(ctx, e);
    },
  },
});

describe('agent runtime', () => {
  it('processes every record once: one decision per input, state = fold of inputs in the changelog', async () => {
    const n = await freshNamespace(3);
    const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const events = Array.from({ length: 300 }, (_, i) => ({ key: keys[i % keys.length]!, value: { tenant: 't1', n: i, fail: false } }));
    await n.produce(events);
    const running = await startAgent(counter, n.config());
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 3)).length >= 300);
    } finally {
      await running.stop();
    }
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 3);
    const sources = decisions.map((d) => d.headers['ambit-source']?.toString());
    expect(decisions).toHaveLength(300);
    expect(new Set(sources).size).toBe(300);
    const effects = await readCommitted(n.conn, `${n.ns}.effects.requested`, 3);
    expect(effects).toHaveLength(30);
    const changelog = await readCommitted(n.conn, `${n.ns}.counter.tallies.changelog`, 3);
    const latest = new Map<string, { count: number; sum: number }>();
    for (const r of changelog) latest.set(r.key!, JSON.parse(r.value!.toString()));
    for (const k of keys) {
      const mine = events.filter((e) => e.key === k).map((e) => e.value.n);
      expect(latest.get(k)).toMatchObject({ count: mine.length, sum: mine.reduce((a, b) => a + b, 0) });
    }
  });

  it('a handler that writes state and then throws leaves no trace in state or outputs; the record goes to the DLQ', async () => {
    const n = await freshNamespace(1);
    await n.produce([
      { key: 'k', value: { tenant: 't', n: 1, fail: false } },
      { key: 'k', value: { tenant: 't', n: 2, fail: true } },
      { key: 'k', value: { tenant: 't', n: 3, fail: false } },
    ]);
    const running = await startAgent(counter, n.config({ handlerAttempts: 2 }));
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length >= 2);
    } finally {
      await running.stop();
    }
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 1);
    expect(decisions.map((d) => d.headers['ambit-source']?.toString())).toEqual(['events/0/0', 'events/0/2']);
    const changelog = await readCommitted(n.conn, `${n.ns}.counter.tallies.changelog`, 1);
    // Two writes (events 1 and 3), none from the failed attempts; the tally skips event 2.
    expect(changelog.map((r) => JSON.parse(r.value!.toString()).seq)).toEqual([[1], [1, 3]]);
    const dlq = await readCommitted(n.conn, `${n.ns}.counter.dlq`, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.headers['ambit-dlq-attempts']?.toString()).toBe('2');
    expect(dlq[0]!.headers['ambit-dlq-cause']?.toString()).toContain('event 2 asked to fail');
  });

  it('a handler past its per-record deadline counts as a failed attempt: DLQ with the timeout as cause, nothing of it left, the partition moves on', async () => {
    const n = await freshNamespace(1);
    lateWrites = 0;
    await n.produce([1, 2, 3, 4].map((i) => ({ key: 'k', value: { tenant: 't', n: i, fail: false } })));
    const running = await startAgent(hanging, n.config({ handlerAttempts: 2, handlerTimeoutMs: 300 }));
    try {
      await until(async () => running.status().ready);
      expect(running.status().tasks).toEqual([{ partition: 0, state: 'RUNNING' }]);
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length >= 3);
      await until(async () => lateWrites === 2); // both attempts have made their late writes
    } finally {
      await running.stop();
    }
    expect(running.status().ready).toBe(false);
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 1);
    expect(decisions.map((d) => d.headers['ambit-source']?.toString())).toEqual(['events/0/0', 'events/0/2', 'events/0/3']);
    const changelog = await readCommitted(n.conn, `${n.ns}.hanging.tallies.changelog`, 1);
    expect(changelog.map((r) => JSON.parse(r.value!.toString()).seq)).toEqual([[1], [1, 3], [1, 3, 4]]);
    const dlq = await readCommitted(n.conn, `${n.ns}.hanging.dlq`, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.headers['ambit-dlq-code']?.toString()).toBe('RUNTIME_HANDLER_TIMEOUT');
    expect(dlq[0]!.headers['ambit-dlq-attempts']?.toString()).toBe('2');
    expect(dlq[0]!.headers['ambit-dlq-cause']?.toString()).toBe('handler for events/0/1 did not finish within 300 ms');
  });

  it('corrupt, truncated and unknown-schema records go to the DLQ with their bytes, headers and cause; the partition moves on', async () => {
    const n = await freshNamespace(1);
    await n.produce([{ key: 'k', value: { tenant: 't', n: 1, fail: false } }]);
    const good = (await readCommitted(n.conn, `${n.ns}.events`, 1))[0]!.value!;
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), good.subarray(5)]);
    const raw = [
      { name: 'bad-magic', value: Buffer.from('{"tenant":"t","n":2}') },
      { name: 'truncated', value: good.subarray(0, 7) },
      { name: 'unknown-id', value: unknownId },
    ];
    const producer = await createProducer(n.conn);
    try {
      await producer.send(raw.map((r) => ({ topic: `${n.ns}.events`, key: 'k', value: r.value, headers: { probe: Buffer.from(r.name) } })));
    } finally {
      await producer.close();
    }
    await n.produce([{ key: 'k', value: { tenant: 't', n: 5, fail: false } }]);
    const running = await startAgent(counter, n.config());
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length >= 2);
    } finally {
      await running.stop();
    }
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 1);
    expect(decisions.map((d) => d.headers['ambit-source']?.toString())).toEqual(['events/0/0', 'events/0/4']);
    const dlq = await readCommitted(n.conn, `${n.ns}.counter.dlq`, 1);
    const h = (r: (typeof dlq)[number], k: string) => r.headers[k]?.toString();
    expect(
      dlq.map((r) => [
        h(r, 'probe'),
        h(r, 'ambit-source'),
        h(r, 'ambit-dlq-code'),
        h(r, 'ambit-dlq-attempts'),
        h(r, 'ambit-agent-version'),
      ]),
    ).toEqual([
      ['bad-magic', 'events/0/1', 'SERDE_BAD_BYTES', '1', '1.0.0'],
      ['truncated', 'events/0/2', 'SERDE_BAD_BYTES', '1', '1.0.0'],
      ['unknown-id', 'events/0/3', 'SERDE_UNKNOWN_SCHEMA', '4', '1.0.0'],
    ]);
    expect(dlq.map((r) => r.value)).toEqual(raw.map((r) => r.value));
    expect(h(dlq[2]!, 'ambit-dlq-cause')).toContain('is not known to the registry');
  });
});
