/**
 * The serialization contract every Kafka-facing part of Ambit uses, and the key serde.
 * Keys are plain UTF-8 strings, never schema-framed (docs/architecture.md, "Keys"): a
 * schema change must never move a key to another partition or split its compaction
 * identity.
 */
import { AmbitError } from '@ambit/core';

/**
 * Turns values into record bytes and back. Async because a value serde may need the
 * schema registry. Errors are `AmbitError`s whose code says what to do:
 * SERDE_REGISTRY_UNAVAILABLE (retry), SERDE_BAD_BYTES / SERDE_UNKNOWN_SCHEMA /
 * SERDE_INCOMPATIBLE_SCHEMA (poison record: DLQ), SERDE_INVALID_VALUE (a bug in the writer).
 */
export interface Serde<T> {
  serialize(value: T): Promise<Buffer>;
  deserialize(bytes: Buffer): Promise<T>;
  /**
   * The synchronous forms, for a hot path: `undefined` when the answer needs the registry
   * first (then use the async form, which fetches and caches it). Errors throw as in the
   * async forms.
   */
  serializeSync?(value: T): Buffer | undefined;
  deserializeSync?(bytes: Buffer): { readonly value: T } | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Lone surrogates have no UTF-8 form; Buffer.from would silently write U+FFFD, so the key
// read back (and its partition) would differ from the one the caller meant.
const loneSurrogate = /\p{Surrogate}/u;

/** A key's bytes: its UTF-8 encoding. SERDE_INVALID_VALUE if it holds a lone surrogate. */
export function encodeKey(key: string): Buffer {
  if (typeof key !== 'string') throw new AmbitError('SERDE_INVALID_VALUE', `key must be a string, got ${typeof key}`);
  if (loneSurrogate.test(key))
    throw new AmbitError('SERDE_INVALID_VALUE', 'key contains a lone UTF-16 surrogate, which UTF-8 cannot encode');
  return Buffer.from(key, 'utf8');
}

/** A key from its bytes. SERDE_BAD_BYTES if they are not valid UTF-8. */
export function decodeKey(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (e) {
    throw new AmbitError('SERDE_BAD_BYTES', 'key is not valid UTF-8', { cause: e, details: { length: bytes.length } });
  }
}

/** The serde for every record key: plain UTF-8, no framing, no registry. */
export const keySerde: Serde<string> = Object.freeze({
  serialize: async (key: string) => encodeKey(key),
  deserialize: async (bytes: Buffer) => decodeKey(bytes),
});
