/**
 * Declared outputs (`ctx.send`) and the key-scope rule of key-level concurrency, against the
 * real broker and registry, in-process.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent, jsonStore, output } from '@ambit/agent-api';
import { createAdmin } from '@ambit/kafka';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { testPlatform } from '@ambit/testing';
import { startAgent } from '../src/index.ts';
import { counter, freshNamespace, readCommitted, until } from './fixtures.ts';

const totalSchema = {
  type: 'record',
  name: 'Total',
  namespace: 'dev.ambit.test',
  fields: [
    { name: 'n', type: 'int' },
    { name: 'sum', type: 'int' },
  ],
};

/** Sends each key's running sum to the `totals` output; event 13 sends a value its schema refuses. */
const summer = defineAgent({
  name: 'summer',
  version: '2.0.0',
  inputs: counter.inputs,
  outputs: { totals: output<{ n: number; sum: number }>('totals', totalSchema) },
  stores: { sums: jsonStore<number>() },
  handlers: {
    events: async (ctx, e) => {
      const sum = ((await ctx.stores.sums.get(ctx.key)) ?? 0) + e.n;
      ctx.stores.sums.put(ctx.key, sum);
      ctx.send('totals', ctx.key, e.n === 13 ? ({ n: 'thirteen', sum } as never) : { n: e.n, sum }, { headers: { 'x-app': 'summer' } });
    },
  },
});

/** Writes its own key, and for events with `fail` also another key: refused with key-level concurrency. */
const reacher = defineAgent({
  name: 'reacher',
  version: '1.0.0',
  inputs: counter.inputs,
  stores: { seen: jsonStore<number>() },
  handlers: {
    events: async (ctx, e) => {
      if (e.fail) ctx.stores.seen.put(`other-${ctx.key}`, e.n);
      ctx.stores.seen.put(ctx.key, e.n);
      ctx.emitDecision({ tenant: e.tenant, kind: 'seen', outcome: String(e.n) });
    },
  },
});

describe('declared outputs and key scope', () => {
  it('ctx.send writes each record once to the declared output, Avro-encoded, with its headers; a value its schema refuses dead-letters the record', async () => {
    const n = await freshNamespace(2);
    const admin = await createAdmin(n.conn);
    try {
      await admin.createTopics([{ name: `${n.ns}.totals`, partitions: 2, replicationFactor: 1, configs: {} }]);
    } finally {
      await admin.close();
    }
    const keys = ['a', 'b', 'c'];
    const events = Array.from({ length: 30 }, (_, i) => ({ key: keys[i % 3]!, value: { tenant: 't', n: i, fail: false } }));
    await n.produce(events);
    const running = await startAgent(summer, n.config());
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.totals`, 2)).length >= 29);
      await until(async () => (await readCommitted(n.conn, `${n.ns}.summer.dlq`, 2)).length >= 1);
    } finally {
      await running.stop();
    }
    const serde = avroSerde<{ n: number; sum: number }>({
      registry: createSchemaRegistryClient({ url: testPlatform().registryUrl }),
      subject: valueSubject(`${n.ns}.totals`),
      schema: totalSchema,
    });
    const totals = await readCommitted(n.conn, `${n.ns}.totals`, 2);
    expect(totals).toHaveLength(29);
    const decoded = await Promise.all(totals.map(async (r) => ({ key: r.key!, ...(await serde.deserialize(r.value!)) })));
    for (const k of keys) {
      // Per key in input order, each running sum (event 13 of key b failed: it adds to no sum).
      const mine = events.filter((e) => e.key === k && e.value.n !== 13).map((e) => e.value.n);
      const sums = mine.map((_, i) => mine.slice(0, i + 1).reduce((x, y) => x + y, 0));
      expect(decoded.filter((d) => d.key === k).map((d) => [d.n, d.sum])).toEqual(mine.map((m, i) => [m, sums[i]]));
    }
    expect(new Set(totals.map((r) => r.headers['x-app']?.toString()))).toEqual(new Set(['summer']));
    expect(new Set(totals.map((r) => r.headers['ambit-agent-version']?.toString()))).toEqual(new Set(['2.0.0']));
    const dlq = await readCommitted(n.conn, `${n.ns}.summer.dlq`, 2);
    expect(dlq.map((r) => [r.headers['ambit-dlq-code']?.toString(), r.headers['ambit-dlq-attempts']?.toString()])).toEqual([
      ['SERDE_INVALID_VALUE', '1'],
    ]);
  });

  it('with maxInFlight > 1 a write outside the record key fails that record at once (RUNTIME_STATE_KEY_SCOPE); the others commit', async () => {
    const n = await freshNamespace(1);
    const events = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 8}`, value: { tenant: 't', n: i, fail: i % 10 === 5 } }));
    await n.produce(events);
    const running = await startAgent(reacher, n.config({ maxInFlight: 4 }));
    try {
      await until(async () => (await readCommitted(n.conn, `${n.ns}.decisions`, 1)).length >= 36);
      await until(async () => (await readCommitted(n.conn, `${n.ns}.reacher.dlq`, 1)).length >= 4);
    } finally {
      await running.stop();
    }
    const dlq = await readCommitted(n.conn, `${n.ns}.reacher.dlq`, 1);
    expect(
      dlq.map((r) => [
        r.headers['ambit-source']?.toString(),
        r.headers['ambit-dlq-code']?.toString(),
        r.headers['ambit-dlq-attempts']?.toString(),
      ]),
    ).toEqual([5, 15, 25, 35].map((i) => [`events/0/${i}`, 'RUNTIME_STATE_KEY_SCOPE', '1']));
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 1);
    expect(decisions).toHaveLength(36);
    const changelog = await readCommitted(n.conn, `${n.ns}.reacher.seen.changelog`, 1);
    expect(changelog.some((r) => r.key!.startsWith('other-'))).toBe(false);
  });
});
