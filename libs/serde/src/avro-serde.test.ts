import { describe, expect, it } from 'vitest';
import { isAmbitError, type ErrorCode } from '@ambit/core';
import { avroSerde, valueSubject } from './avro-serde.ts';
import { createInMemorySchemaRegistry } from './registry-memory.ts';
import { frame } from './wire.ts';

const v1 = {
  type: 'record',
  name: 'Submitted',
  namespace: 'ambit.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'count', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const tags = { name: 'tags', type: { type: 'array', items: 'string' } };
/** v1 plus a field with a default: BACKWARD compatible with v1. */
const v2 = { ...v1, fields: [...v1.fields, { ...tags, default: [] }] };
/** v1 plus the same field without a default: compatible with v2 only. */
const v3 = { ...v1, fields: [...v1.fields, tags] };

interface V1 {
  id: string;
  count: number;
  note: string | null;
}

const rejectsWith = (code: ErrorCode) => (e: unknown) => isAmbitError(e, code);

describe('avroSerde', () => {
  it('the synchronous forms answer only once the registry has, then match the async forms byte for byte', async () => {
    const registry = createInMemorySchemaRegistry();
    const serde = avroSerde<V1>({ registry, subject: valueSubject('s'), schema: v1, autoRegister: true });
    const value = { id: 'a-1', count: 7, note: null };
    expect(serde.serializeSync!(value)).toBeUndefined(); // the id is not known yet
    const bytes = await serde.serialize(value);
    expect(serde.serializeSync!(value)).toEqual(bytes);
    const reader = avroSerde<V1>({ registry, subject: valueSubject('s'), schema: v1 });
    expect(reader.deserializeSync!(bytes)).toBeUndefined(); // the writer schema is not fetched yet
    expect(await reader.deserialize(bytes)).toEqual(value);
    expect(reader.deserializeSync!(bytes)).toEqual({ value });
    expect(() => reader.deserializeSync!(Buffer.concat([bytes.subarray(0, 5), Buffer.from([0xff])]))).toThrow(/does not decode/);
    expect(() => serde.serializeSync!({ id: 1 } as never)).toThrow(/does not match the schema/);
  });

  it('round-trips a value in the Confluent wire format', async () => {
    const registry = createInMemorySchemaRegistry();
    const serde = avroSerde<V1>({ registry, subject: valueSubject('t'), schema: v1, autoRegister: true });
    const value = { id: 'a-1', count: 2 ** 40, note: 'hi' };
    const bytes = await serde.serialize(value);
    const { id } = await registry.lookup('t-value', v1);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await serde.deserialize(bytes)).toEqual(value);
  });

  it('looks the id up without registering unless autoRegister is set', async () => {
    const registry = createInMemorySchemaRegistry();
    const serde = avroSerde<V1>({ registry, subject: 's', schema: v1 });
    await expect(serde.serialize({ id: 'x', count: 1, note: null })).rejects.toSatisfy(rejectsWith('SERDE_UNKNOWN_SCHEMA'));
    await registry.register('s', v1);
    // The failed lookup is not cached.
    expect((await serde.serialize({ id: 'x', count: 1, note: null })).length).toBeGreaterThan(5);
  });

  it('reports the paths of fields that do not match, without their values', async () => {
    const serde = avroSerde<unknown>({ registry: createInMemorySchemaRegistry(), subject: 's', schema: v2, autoRegister: true });
    const err = await serde.serialize({ id: 'secret-value', count: 'nope', note: null, tags: ['ok', 7] }).catch((e: unknown) => e);
    expect(isAmbitError(err, 'SERDE_INVALID_VALUE')).toBe(true);
    expect((err as Error).message).toContain('count');
    expect((err as Error).message).toContain('tags.1');
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('nope');
  });

  it('reads records written with an older schema into the newer one (defaults filled in)', async () => {
    const registry = createInMemorySchemaRegistry();
    const old = avroSerde<V1>({ registry, subject: 's', schema: v1, autoRegister: true });
    const bytes = await old.serialize({ id: 'a', count: 1, note: null });
    const current = avroSerde<V1 & { tags: string[] }>({ registry, subject: 's', schema: v2, autoRegister: true });
    expect(await current.deserialize(bytes)).toEqual({ id: 'a', count: 1, note: null, tags: [] });
  });

  it('classifies a writer schema that cannot be resolved as SERDE_INCOMPATIBLE_SCHEMA', async () => {
    const registry = createInMemorySchemaRegistry();
    const bytes = await avroSerde<V1>({ registry, subject: 'old', schema: v1, autoRegister: true }).serialize({
      id: 'a',
      count: 1,
      note: null,
    });
    const reader = avroSerde<unknown>({ registry, subject: 'new', schema: v3, autoRegister: true });
    await expect(reader.deserialize(bytes)).rejects.toSatisfy(rejectsWith('SERDE_INCOMPATIBLE_SCHEMA'));
  });

  it('classifies bad bytes: magic byte, short header, truncated or trailing body', async () => {
    const registry = createInMemorySchemaRegistry();
    const serde = avroSerde<V1>({ registry, subject: 's', schema: v1, autoRegister: true });
    const good = await serde.serialize({ id: 'abcdef', count: 1, note: 'n' });
    const bad = [
      Buffer.concat([Buffer.from([1]), good.subarray(1)]),
      good.subarray(0, 3),
      good.subarray(0, good.length - 2),
      Buffer.concat([good, Buffer.from([0])]),
    ];
    for (const b of bad) await expect(serde.deserialize(b)).rejects.toSatisfy(rejectsWith('SERDE_BAD_BYTES'));
  });

  it('classifies an id the registry does not know as SERDE_UNKNOWN_SCHEMA', async () => {
    const serde = avroSerde<V1>({ registry: createInMemorySchemaRegistry(), subject: 's', schema: v1 });
    await expect(serde.deserialize(frame(999, Buffer.from([0])))).rejects.toSatisfy(rejectsWith('SERDE_UNKNOWN_SCHEMA'));
  });

  it('classifies an outage as SERDE_REGISTRY_UNAVAILABLE and recovers after it', async () => {
    const registry = createInMemorySchemaRegistry();
    const writer = avroSerde<V1>({ registry, subject: 's', schema: v1, autoRegister: true });
    const bytes = await writer.serialize({ id: 'a', count: 1, note: null });
    const reader = avroSerde<V1 & { tags: string[] }>({ registry, subject: 's', schema: v2 });
    registry.unavailable = true;
    await expect(reader.deserialize(bytes)).rejects.toSatisfy(rejectsWith('SERDE_REGISTRY_UNAVAILABLE'));
    registry.unavailable = false;
    expect(await reader.deserialize(bytes)).toEqual({ id: 'a', count: 1, note: null, tags: [] });
  });

  it('rejects a schema that is not valid Avro when the serde is created', () => {
    expect(() => avroSerde({ registry: createInMemorySchemaRegistry(), subject: 's', schema: { type: 'recrod' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('in-memory registry compatibility', () => {
  it('accepts v2 and, under BACKWARD_TRANSITIVE only, rejects v3', async () => {
    const transitive = createInMemorySchemaRegistry();
    await transitive.register('s', v1);
    await transitive.register('s', v2);
    await expect(transitive.register('s', v3)).rejects.toSatisfy(rejectsWith('SERDE_INCOMPATIBLE_SCHEMA'));
    expect(await transitive.checkCompatible('s', v3, 2)).toBe(true);
    expect(await transitive.checkCompatible('s', v3, 1)).toBe(false);

    const plain = createInMemorySchemaRegistry();
    await plain.register('s', v1, { compatibility: 'BACKWARD' });
    await plain.register('s', v2);
    expect((await plain.register('s', v3)).id).toBeGreaterThan(0);
    expect(await plain.compatibility('s')).toBe('BACKWARD');
  });

  it('gives one id per schema and is idempotent', async () => {
    const r = createInMemorySchemaRegistry();
    const a = await r.register('a', v1);
    expect(await r.register('a', v1)).toEqual(a);
    expect(await r.register('b', v1)).toEqual(a);
    expect((await r.latest('a')).version).toBe(1);
  });
});
