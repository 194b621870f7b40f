/**
 * Key-level concurrency speed-up (issue "model-bound agents"): one partition, 200 keys,
 * 1,000 events (5 per key) in a seeded random order, each calling a durable step that takes
 * 200 ms on the fake model server. Timed from the first fetch to the last commit. The
 * baseline is the same agent at concurrency 1 on the first 100 events of the same input, in
 * the same invocation; the figure is the throughput ratio.
 *   pnpm bench:concurrency [--in-flight 256] [--distance 1000] [--latency-ms 200] [--min-ratio 40]
 * Exits 1 when the ratio is below --min-ratio, or when a run loses, repeats or reorders
 * anything (every key's decisions must follow its inputs). Uses KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL when set, else starts (or reuses) the dev platform.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { createAdmin, createConsumer, createProducer } from '@ambit/kafka';
import { createModelClient } from '@ambit/model';
import { DIAGNOSTIC_CHANNELS, resolveRuntimeConfig, startAgent } from '@ambit/runtime';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { keyOrderDiff, mulberry32, startFakeModelServer } from '@ambit/testing/tools';
import { benchPlatform } from './platform.ts';

const { values } = parseArgs({
  options: {
    'in-flight': { type: 'string', default: '256' },
    distance: { type: 'string', default: '1000' },
    'latency-ms': { type: 'string', default: '200' },
    'min-ratio': { type: 'string', default: '40' },
    keys: { type: 'string', default: '200' },
    'per-key': { type: 'string', default: '5' },
    baseline: { type: 'string', default: '100' },
  },
});
const IN_FLIGHT = Number(values['in-flight']);
const DISTANCE = Number(values.distance);
const LATENCY = Number(values['latency-ms']);
const MIN_RATIO = Number(values['min-ratio']);
const KEYS = Number(values.keys);
const PER_KEY = Number(values['per-key']);
const BASELINE = Number(values.baseline);

const schema = { type: 'record', name: 'Ask', namespace: 'dev.ambit.bench', fields: [{ name: 'n', type: 'int' }] };

const platform = await benchPlatform();
const { brokers, registryUrl } = platform;
const conn = { brokers };
const model = await startFakeModelServer({ latencyMs: LATENCY });
const client = createModelClient({ baseUrl: model.url, model: 'fake', clientId: 'bench' });
const agent = defineAgent({
  name: 'asker',
  version: '1',
  inputs: { asks: input<{ n: number }>('asks', schema) },
  stores: { seen: jsonStore<number>() },
  handlers: {
    asks: async (ctx, a) => {
      const answer = await ctx.step(
        'ask',
        async (s) => (await client.chat({ messages: [{ role: 'user', content: `ask ${a.n}` }] }, s)).content,
      );
      ctx.stores.seen.put(ctx.key, ((await ctx.stores.seen.get(ctx.key)) ?? 0) + 1);
      ctx.emitDecision({ tenant: 'bench', kind: 'asked', outcome: String(a.n), detail: { answer } });
    },
  },
});

/** The seeded input: `perKey` events for each of `keys` keys, shuffled. */
function input_(): Array<{ key: string; n: number }> {
  const events: Array<{ key: string; n: number }> = [];
  for (let k = 0; k < KEYS; k++) for (let j = 0; j < PER_KEY; j++) events.push({ key: `key-${k}`, n: 0 });
  const rand = mulberry32(20261122);
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events.map((e, i) => ({ key: e.key, n: i }));
}

async function run(label: string, events: Array<{ key: string; n: number }>, maxInFlight: number) {
  const ns = `bench-conc-${label}-${Date.now().toString(36)}`;
  const admin = await createAdmin(conn);
  await admin.createTopics(
    ['asks', 'decisions', 'effects.requested'].map((t) => ({ name: `${ns}.${t}`, partitions: 1, replicationFactor: 1, configs: {} })),
  );
  const serde = avroSerde<{ n: number }>({
    registry: createSchemaRegistryClient({ url: registryUrl }),
    subject: valueSubject(`${ns}.asks`),
    schema,
    autoRegister: true,
  });
  const producer = await createProducer(conn);
  const records = [];
  for (const e of events) records.push({ topic: `${ns}.asks`, key: e.key, value: await serde.serialize({ n: e.n }) });
  const reports = await producer.send(records);
  await producer.close();

  let firstFetch = 0;
  let lastCommit = 0;
  let committed = 0;
  const onFetch = (): void => {
    if (firstFetch === 0) firstFetch = Date.now();
  };
  const onCommit = (m: unknown): void => {
    committed += (m as { records: number }).records;
    lastCommit = Date.now();
  };
  diagnostics.subscribe(DIAGNOSTIC_CHANNELS.fetch, onFetch);
  diagnostics.subscribe(DIAGNOSTIC_CHANNELS.commit, onCommit);
  const stateDir = mkdtempSync(join(tmpdir(), 'ambit-bench-conc-'));
  const callsBefore = model.calls.length;
  const running = await startAgent(
    agent,
    resolveRuntimeConfig({
      brokers,
      registryUrl,
      namespace: ns,
      instanceId: 'bench',
      stateDir,
      registerSchemas: true,
      maxInFlight,
      maxDistance: Math.max(DISTANCE, maxInFlight),
      handlerTimeoutMs: 10_000,
    }),
  );
  const deadline = Date.now() + 600_000;
  while (committed < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await running.stop();
  diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.fetch, onFetch);
  diagnostics.unsubscribe(DIAGNOSTIC_CHANNELS.commit, onCommit);
  rmSync(stateDir, { recursive: true, force: true });

  // Verify: one decision per event, each key's decisions in its input order, one call per event.
  const consumer = await createConsumer(conn, { isolation: 'read_committed', autoOffsetReset: 'earliest' });
  consumer.assign([{ topic: `${ns}.decisions`, partition: 0, offset: 0 }]);
  const decisions = [];
  const until = Date.now() + 30_000;
  while (decisions.length < events.length && Date.now() < until) decisions.push(...(await consumer.consume(1_000, 200)));
  await consumer.close();
  await admin.deleteTopics([`${ns}.asks`, `${ns}.decisions`, `${ns}.effects.requested`]).catch(() => undefined);
  await admin.close();
  const order = keyOrderDiff(
    decisions,
    reports.map((r, i) => ({ key: events[i]!.key, source: `asks/${r.partition}/${r.offset}` })),
  );
  const calls = model.calls.length - callsBefore;
  const ms = lastCommit - firstFetch;
  const ok = decisions.length === events.length && order.length === 0 && calls === events.length;
  return {
    label,
    events: events.length,
    maxInFlight,
    ms,
    perSec: (events.length / ms) * 1000,
    decisions: decisions.length,
    calls,
    orderProblems: order.slice(0, 3),
    ok,
  };
}

const events = input_();
const baseline = await run('c1', events.slice(0, BASELINE), 1);
console.log(JSON.stringify(baseline));
const concurrent = await run(`c${IN_FLIGHT}`, events, IN_FLIGHT);
console.log(JSON.stringify(concurrent));
const ratio = concurrent.perSec / baseline.perSec;
const summary = {
  workload: { partitions: 1, keys: KEYS, eventsPerKey: PER_KEY, events: events.length, stepLatencyMs: LATENCY, baselineEvents: BASELINE },
  bounds: { maxInFlight: IN_FLIGHT, maxDistance: Math.max(DISTANCE, IN_FLIGHT) },
  baselinePerSec: Math.round(baseline.perSec * 10) / 10,
  concurrentPerSec: Math.round(concurrent.perSec * 10) / 10,
  ratio: Math.round(ratio * 10) / 10,
  minRatio: MIN_RATIO,
};
console.log(JSON.stringify(summary));
await model.close();
await platform.stop();
if (!baseline.ok || !concurrent.ok) {
  console.error('FAILED: a run lost, repeated or reordered records (see above)');
  process.exit(1);
}
if (ratio < MIN_RATIO) {
  console.error(`FAILED: ratio ${summary.ratio} below ${MIN_RATIO}`);
  process.exit(1);
}
process.exit(0);
