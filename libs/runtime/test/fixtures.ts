/** Test agents and topic setup for the runtime's integration tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmin, createProducer, type ConsumedRecord, type KafkaConnection } from '@ambit/kafka';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { readTopicFully, testClientProfile, testPlatform, uniqueName } from '@ambit/testing';
import { eventSchema, type CountEvent } from './agents.ts';
import { resolveRuntimeConfig, type RuntimeConfig, type RuntimeConfigInput } from '../src/index.ts';

export { counter, eventSchema } from './agents.ts';
export type { CountEvent, Tally } from './agents.ts';

export interface Namespace {
  ns: string;
  conn: KafkaConnection;
  config(over?: Partial<RuntimeConfigInput>): RuntimeConfig;
  /** Produces and waits for every ack; a `timestamp` sets the record's CreateTime (same input, same outputs). */
  produce(events: Array<{ key: string; value: CountEvent; timestamp?: number }>): Promise<void>;
}

/** A fresh namespace with the agent's input and output topics. */
export async function freshNamespace(partitions = 3): Promise<Namespace> {
  const ns = uniqueName('rt');
  const { brokers, registryUrl } = testPlatform();
  const conn = { brokers };
  const admin = await createAdmin(conn);
  try {
    await admin.createTopics(
      ['events', 'decisions', 'effects.requested'].map((t) => ({ name: `${ns}.${t}`, partitions, replicationFactor: 1, configs: {} })),
    );
  } finally {
    await admin.close();
  }
  const registry = createSchemaRegistryClient({ url: registryUrl });
  const serde = avroSerde<CountEvent>({ registry, subject: valueSubject(`${ns}.events`), schema: eventSchema, autoRegister: true });
  const stateDir = mkdtempSync(join(tmpdir(), 'ambit-rt-'));
  return {
    ns,
    conn,
    config: (over = {}) =>
      resolveRuntimeConfig({
        brokers,
        registryUrl,
        namespace: ns,
        instanceId: 'i0',
        stateDir,
        registerSchemas: true,
        sessionTimeoutMs: testClientProfile.sessionTimeoutMs,
        heartbeatIntervalMs: testClientProfile.heartbeatIntervalMs,
        transactionTimeoutMs: testClientProfile.transactionTimeoutMs,
        ...over,
      }),
    async produce(events) {
      const p = await createProducer(conn);
      try {
        const records = [];
        for (const e of events)
          records.push({
            topic: `${ns}.events`,
            key: e.key,
            value: await serde.serialize(e.value),
            ...(e.timestamp === undefined ? {} : { timestamp: e.timestamp }),
          });
        await p.send(records);
      } finally {
        await p.close();
      }
    },
  };
}

/** Every committed record of a topic, sorted by partition then offset. */
export function readCommitted(conn: KafkaConnection, topic: string, partitions: number): Promise<ConsumedRecord[]> {
  return readTopicFully({ brokers: conn.brokers, topic, partitions });
}

/** Waits until `cond` holds, polling every `everyMs`; throws after `timeoutMs`. */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
