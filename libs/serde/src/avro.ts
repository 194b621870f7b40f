/**
 * The one place Avro schemas become avsc types, so writer and reader types are always
 * built with the same options (the JS shape of a value depends on them).
 */
import avsc from 'avsc';
import { AmbitError } from '@ambit/core';

/** An avsc type: encodes, decodes and resolves one Avro schema. */
export type AvroType = avsc.Type;

/**
 * avsc's defaults, pinned: no logical types (timestamps are `long` millis, decimals are
 * bytes), `long` as a JS number (avsc rejects values beyond about ±2^53), unions unwrapped
 * when their branches are distinguishable in JS (`["null","string"]` -> `string | null`)
 * and wrapped otherwise (`{ "ns.Created": {...} }` for a union of records).
 */
export const AVRO_TYPE_OPTIONS = Object.freeze({ wrapUnions: 'auto' as const });

/** Parses a schema (parsed .avsc JSON or its text); CONFIG_INVALID if it is not valid Avro. */
export function parseAvroSchema(schema: object | string, what = 'schema'): AvroType {
  try {
    const json: unknown = typeof schema === 'string' ? JSON.parse(schema) : schema;
    return avsc.Type.forSchema(json as avsc.Schema, { ...AVRO_TYPE_OPTIONS });
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `${what} is not a valid Avro schema: ${(e as Error).message}`, { cause: e });
  }
}

/** The exact text Ambit sends to the registry for a schema (also its cache key). */
export function schemaText(schema: object): string {
  return JSON.stringify(schema);
}
