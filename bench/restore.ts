/**
 * Changelog restore speed: fills a changelog partition with N distinct keys, then starts an
 * agent on an empty state directory and times its restore (records/s), against a baseline
 * in the same invocation: a bare read_committed consumer reading the same partition.
 *   pnpm bench:restore [--keys 1000000] [--value-bytes 100]
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when set, else starts (or reuses) the dev platform.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { createAdmin, createConsumer, createProducer } from '@ambit/kafka';
import { DIAGNOSTIC_CHANNELS, resolveRuntimeConfig, startAgent } from '@ambit/runtime';
import { benchPlatform } from './platform.ts';

const { values } = parseArgs({
  options: { keys: { type: 'string', default: '1000000' }, 'value-bytes': { type: 'string', default: '100' } },
});
const keys = Number(values.keys);
const valueBytes = Number(values['value-bytes']);

const schema = { type: 'record', name: 'Noop', namespace: 'dev.ambit.bench', fields: [{ name: 'n', type: 'int' }] };
const agent = defineAgent({
  name: 'restorebench',
  version: '1',
  inputs: { noop: input<{ n: number }>('noop', schema) },
  stores: { data: jsonStore<unknown>() },
  handlers: { noop: () => undefined },
});

const platform = await benchPlatform();
const { brokers, registryUrl } = platform;
const conn = { brokers };
const ns = `bench-restore-${Date.now().toString(36)}`;
const changelog = `${ns}.restorebench.data.changelog`;
const admin = await createAdmin(conn);
await admin.createTopics([
  { name: `${ns}.noop`, partitions: 1, replicationFactor: 1, configs: {} },
  { name: `${ns}.decisions`, partitions: 1, replicationFactor: 1, configs: {} },
  { name: `${ns}.effects.requested`, partitions: 1, replicationFactor: 1, configs: {} },
  { name: changelog, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
]);

const fillStart = Date.now();
const producer = await createProducer(conn, { lingerMs: 20 });
const value = Buffer.from(JSON.stringify({ pad: 'x'.repeat(Math.max(0, valueBytes - 12)) }));
for (let i = 0; i < keys; i += 10_000) {
  const batch = [];
  for (let j = i; j < Math.min(i + 10_000, keys); j++) batch.push({ topic: changelog, partition: 0, key: `key-${j}`, value });
  await producer.send(batch);
}
await producer.close();
const fillMs = Date.now() - fillStart;

// Baseline: a bare read_committed consumer over the same partition.
const baseStart = Date.now();
const c = await createConsumer(conn, { isolation: 'read_committed', queuedMaxKbytes: 65_536 });
c.assign([{ topic: changelog, partition: 0, offset: -2 }]);
let read = 0;
while (read < keys) read += (await c.consume(5_000, 200)).length;
await c.close();
const baseMs = Date.now() - baseStart;

// Ambit: restore into an empty LevelDB store.
const stateDir = mkdtempSync(join(tmpdir(), 'ambit-restore-bench-'));
let done: { records: number; ms: number } | undefined;
diagnostics.subscribe(DIAGNOSTIC_CHANNELS.restore, (m) => {
  const e = m as { event: string; records: number; ms: number };
  if (e.event === 'done') done = e;
});
const running = await startAgent(
  agent,
  resolveRuntimeConfig({ brokers, registryUrl, namespace: ns, instanceId: 'bench', stateDir, registerSchemas: true }),
);
while (!done) await new Promise((r) => setTimeout(r, 100));
await running.stop();
await admin
  .deleteTopics([`${ns}.noop`, `${ns}.decisions`, `${ns}.effects.requested`, changelog, `${ns}.restorebench.dlq`])
  .catch(() => undefined);
await admin.close();
rmSync(stateDir, { recursive: true, force: true });
await platform.stop();

const result = {
  keys,
  valueBytes,
  fillMs,
  baseline: { records: read, ms: baseMs, recordsPerSec: Math.round((read / baseMs) * 1000) },
  ambitRestore: { records: done.records, ms: done.ms, recordsPerSec: Math.round((done.records / done.ms) * 1000) },
  ratio: Number((((done.records / done.ms) * 1000) / ((read / baseMs) * 1000)).toFixed(3)),
};
console.log(JSON.stringify(result, null, 2));
process.exit(0);
