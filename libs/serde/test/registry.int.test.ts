/**
 * Against the real registry (Apicurio via ccompat locally; any Confluent-compatible one in
 * production): wire format, Ambit's registration path, the launcher's global rule for
 * clients that bypass Ambit, and outage classification.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { testPlatform, uniqueName } from '@ambit/testing';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '../src/index.ts';

const v1 = {
  type: 'record',
  name: 'ContentSubmitted',
  namespace: 'ambit.test',
  fields: [
    { name: 'contentId', type: 'string' },
    { name: 'sizeBytes', type: 'long' },
    { name: 'title', type: ['null', 'string'], default: null },
  ],
};
const language = { name: 'language', type: 'string' };
/** v1 plus `language` with a default: a v2 reader can read v1 records. */
const v2 = { ...v1, fields: [...v1.fields, { ...language, default: 'und' }] };
/**
 * v1 plus `language` WITHOUT a default. It reads v2 records (they all carry the field), so
 * BACKWARD against the latest version passes; it cannot read v1 records, so only
 * BACKWARD_TRANSITIVE rejects it.
 */
const v3 = { ...v1, fields: [...v1.fields, language] };

interface V1 {
  contentId: string;
  sizeBytes: number;
  title: string | null;
}

const ccompat = (): string => testPlatform().registryUrl.replace(/\/+$/, '');

/** The fields of registry replies these tests read. */
interface RegistryReply {
  id?: number;
  schema?: string;
  compatibilityLevel?: string;
}

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: RegistryReply }> {
  const res = await fetch(ccompat() + path, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as RegistryReply };
}

describe('serde against the schema registry', () => {
  it('round-trips a record in the Confluent wire format', async () => {
    const subject = valueSubject(uniqueName('serde-rt'));
    const registry = createSchemaRegistryClient({ url: testPlatform().registryUrl });
    const serde = avroSerde<V1>({ registry, subject, schema: v1, autoRegister: true });
    const value = { contentId: 'c-1', sizeBytes: 2 ** 40 + 3, title: 'héllo' };

    const bytes = await serde.serialize(value);

    const { id } = await registry.lookup(subject, v1);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect([...bytes.subarray(0, 5)]).toEqual([0, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
    expect(JSON.parse((await raw('GET', `/schemas/ids/${id}`)).body.schema ?? 'null')).toEqual(v1);
    // A fresh client has nothing cached: it resolves the writer schema by id.
    const reader = avroSerde<V1>({ registry: createSchemaRegistryClient({ url: testPlatform().registryUrl }), subject, schema: v1 });
    expect(await reader.deserialize(bytes)).toEqual(value);
  });

  it('registers through Ambit with BACKWARD_TRANSITIVE: v2 accepted, v3 rejected', async () => {
    const subject = valueSubject(uniqueName('serde-compat'));
    const registry = createSchemaRegistryClient({ url: testPlatform().registryUrl });

    const { id: id1 } = await registry.register(subject, v1);
    expect((await raw('GET', `/config/${subject}`)).body.compatibilityLevel).toBe('BACKWARD_TRANSITIVE');
    expect(await registry.compatibility(subject)).toBe('BACKWARD_TRANSITIVE');
    const { id: id2 } = await registry.register(subject, v2);
    expect(id2).not.toBe(id1);

    // The registry's own checker: v3 is compatible with v2 alone, not with v1.
    expect(await registry.checkCompatible(subject, v3, 2)).toBe(true);
    expect(await registry.checkCompatible(subject, v3, 1)).toBe(false);

    const err = await registry.register(subject, v3).catch((e: unknown) => e);
    expect(isAmbitError(err, 'SERDE_INCOMPATIBLE_SCHEMA')).toBe(true);
    expect((err as Error).message).toMatch(/incompatible/i);
    expect((await registry.latest(subject)).id).toBe(id2);

    // Old records stay readable by new code.
    const old = await avroSerde<V1>({ registry, subject, schema: v1 }).serialize({ contentId: 'c', sizeBytes: 1, title: null });
    expect(old.readInt32BE(1)).toBe(id1);
    const current = avroSerde<V1 & { language: string }>({ registry, subject, schema: v2 });
    expect(await current.deserialize(old)).toEqual({ contentId: 'c', sizeBytes: 1, title: null, language: 'und' });
  });

  it("checks a raw registration (no Ambit code) against the launcher's global rule", async () => {
    const subject = valueSubject(uniqueName('serde-raw'));
    expect((await raw('GET', '/config')).body.compatibilityLevel).toBe('BACKWARD_TRANSITIVE');

    const first = await raw('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(v1) });
    expect(first.status).toBe(200);
    expect(typeof first.body.id).toBe('number');

    // A new field without a default cannot read v1 records.
    const second = await raw('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(v3) });
    expect(second.status).toBe(409);
  });

  it('classifies a registry outage as SERDE_REGISTRY_UNAVAILABLE, not bad bytes', async () => {
    const subject = valueSubject(uniqueName('serde-outage'));
    const live = createSchemaRegistryClient({ url: testPlatform().registryUrl });
    const bytes = await avroSerde<V1>({ registry: live, subject, schema: v1, autoRegister: true }).serialize({
      contentId: 'c',
      sizeBytes: 1,
      title: null,
    });

    const down = createSchemaRegistryClient({ url: `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`, timeoutMs: 2000 });
    const err = await avroSerde<V1>({ registry: down, subject, schema: v1 })
      .deserialize(bytes)
      .catch((e: unknown) => e);
    expect(isAmbitError(err, 'SERDE_REGISTRY_UNAVAILABLE')).toBe(true);
    expect((err as { action: string }).action).toBe('retry');
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
