/**
 * Schema registry outages are transient failures: with the registry the host uses stopped
 * for 20 s while records written with a schema version the host has never seen arrive, no
 * record goes to the DLQ and the stream resumes by itself once the registry is back; also
 * when the host is restarted during the outage (its schema cache is cold).
 *
 * The host talks to a registry replica (same Kafka journal, own port) that the test stops
 * and starts; the test's producer keeps using the platform registry.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryReplica, type RegistryReplica } from '@ambit/infra';
import { createProducer } from '@ambit/kafka';
import { loadSchema, type ContentSubmitted } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { HostSlot, freePort, killAllHosts, readTopicFully, testClientProfile, testPlatform, uniqueName } from '@ambit/testing';
import { AGENT_MODULE, contentSerde, makeSubmission, setUpNamespace, userKeys } from '../../../examples/moderation/test/support.ts';

const platform = testPlatform();
const OUTAGE_MS = 20_000;
const PARTITIONS = 6;

/** ContentSubmitted with one more optional field: a new writer version, compatible with the agent's reader schema. */
function contentV2(field: string): object {
  const v1 = loadSchema('ContentSubmitted').schema as { fields: object[] };
  return { ...v1, fields: [...v1.fields, { name: field, type: ['null', 'string'], default: null }] };
}

let replica: RegistryReplica;
beforeAll(async () => {
  const kafkaPort = Number(platform.brokers[0]!.split(':').at(-1));
  replica = await registryReplica({ kafkaPort, registryPort: await freePort() });
  await replica.start();
}, 120_000);
afterAll(async () => {
  await killAllHosts();
  await replica?.close();
});

async function scenario(restartHostDuringOutage: boolean): Promise<void> {
  const ns = uniqueName('outage');
  await setUpNamespace(platform, ns);
  const topic = `${ns}.content.submitted`;
  const keys = userKeys(30);
  const slot = new HostSlot({
    name: 'outage',
    args: ['--module', AGENT_MODULE],
    env: {
      KAFKA_BROKERS: platform.brokers.join(','),
      SCHEMA_REGISTRY_URL: replica.url,
      AMBIT_NAMESPACE: ns,
      AMBIT_INSTANCE_ID: 'outage',
      AMBIT_STATE_DIR: join(mkdtempSync(join(tmpdir(), 'ambit-outage-')), 'h'),
      AMBIT_SESSION_TIMEOUT_MS: String(testClientProfile.sessionTimeoutMs),
      AMBIT_LOG_LEVEL: 'warn',
    },
  });
  const producer = await createProducer({ brokers: platform.brokers });
  const send = async (from: number, count: number, serialize: (s: ContentSubmitted) => Promise<Buffer>) => {
    const records = [];
    for (let i = from; i < from + count; i++)
      records.push({ topic, key: keys[i % keys.length]!, value: await serialize(makeSubmission(i, keys[i % keys.length]!)) });
    await producer.send(records);
  };
  const decisions = () => readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions`, partitions: PARTITIONS });
  const waitDecided = async (count: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = (await decisions()).length;
      if (n >= count) return n;
      if (slot.process.exited) throw new Error(`host exited: ${slot.process.stderrTail(20)}`);
      if (Date.now() > deadline) throw new Error(`only ${n} of ${count} decisions after ${timeoutMs} ms:\n${slot.process.stderrTail(20)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  try {
    // Warm: the host has fetched v1 and registered nothing (schemas come from the deploy step).
    slot.start();
    const v1 = contentSerde(platform, ns);
    await send(0, 100, (s) => v1.serialize(s));
    await waitDecided(100, 60_000);

    // A writer version the host has never seen, registered while the registry is up...
    const v2 = avroSerde<ContentSubmitted>({
      registry: createSchemaRegistryClient({ url: platform.registryUrl }),
      subject: valueSubject(topic),
      schema: contentV2(restartHostDuringOutage ? 'region' : 'lang'),
      autoRegister: true,
    });
    await v2.serialize(makeSubmission(0, keys[0]!));
    // ...then the host's registry goes away and records of that version arrive.
    await replica.stop();
    const outageStarted = Date.now();
    await send(100, 100, (s) => v2.serialize(s));
    if (restartHostDuringOutage) {
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await slot.process.stop(30_000)).code).toBe(0);
      slot.start(); // cold cache, registry still down
    }
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
    expect(slot.process.exited).toBeUndefined();
    expect((await decisions()).length).toBe(100); // nothing of the new version could be read yet
    await replica.start();
    await waitDecided(200, 90_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(slot.process.exited).toBeUndefined();
  } finally {
    await producer.close();
    if (!slot.process.exited) await slot.process.stop(30_000);
    if (!(await replicaRunning())) await replica.start();
  }
  const all = await decisions();
  expect(all).toHaveLength(200);
  expect(new Set(all.map((d) => d.headers['ambit-source']!.toString())).size).toBe(200);
  expect(await readTopicFully({ brokers: platform.brokers, topic: `${ns}.moderator.dlq`, partitions: PARTITIONS })).toEqual([]);
}

async function replicaRunning(): Promise<boolean> {
  try {
    return (await fetch(`${replica.url}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

describe('schema registry outage', () => {
  it('20 s without the registry while unseen schema versions arrive: no DLQ, resumes by itself', { timeout: 240_000 }, async () => {
    await scenario(false);
  });

  it('the same with the host restarted during the outage (cold schema cache)', { timeout: 240_000 }, async () => {
    await scenario(true);
  });
});
