/**
 * Keys as every layer sees them. The stores of one task share one keyspace, each under the
 * prefix `<store>\u0000` (ADR 0006), so one LevelDB batch can cover all of them. Keys order
 * by their UTF-8 bytes, which is LevelDB's order; the in-memory layers must order the same
 * way or a range merged across layers would interleave wrongly.
 */
import { AmbitError } from '@ambit/core';

/** A half-open range `[gte, lt)` of composite (`<store>\u0000<key>`) keys. */
export interface KeyBounds {
  readonly gte: string;
  readonly lt: string;
}

/**
 * Orders well-formed strings by their UTF-8 bytes. JS `<` compares UTF-16 units, which puts
 * U+E000..U+FFFF after astral characters (surrogates are 0xD800..0xDFFF); UTF-8 and code
 * point order put them before. Comparing code points at the first differing unit fixes that.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
  }
  return a.length - b.length;
}

// Store names become part of a topic name (`<agent>.<store>.changelog`), so they keep to
// Kafka's topic characters minus the dot that separates the parts.
const STORE_NAME = /^[A-Za-z0-9_-]+$/;
// A lone surrogate has no UTF-8 encoding: Buffer.from would map it to U+FFFD, making two
// different keys one LevelDB key. Kafka keys (decoded UTF-8) never contain one.
const LONE_SURROGATE = /\p{Cs}/u;

export function checkStoreName(name: string): void {
  if (!STORE_NAME.test(name)) {
    throw new AmbitError('STATE_INVALID_ARGUMENT', `invalid store name "${name}": use [A-Za-z0-9_-]+`, { details: { store: name } });
  }
}

export function checkKey(key: string, what = 'key'): void {
  if (typeof key !== 'string' || LONE_SURROGATE.test(key)) {
    throw new AmbitError('STATE_INVALID_ARGUMENT', `${what} must be a well-formed string (no lone surrogates)`);
  }
}

/** The composite key of `key` in `store`. */
export function storeKey(store: string, key: string): string {
  return `${store}\u0000${key}`;
}

/** The store part of a composite key (store names never contain U+0000). */
export function storeOf(composite: string): string {
  return composite.slice(0, composite.indexOf('\u0000'));
}

/** The user key of a composite key in `store`. */
export function userKey(store: string, composite: string): string {
  return composite.slice(store.length + 1);
}

/**
 * The least string greater than every string starting with `prefix` (next code point on
 * the last one; U+10FFFF carries over), or undefined when no such string exists.
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = (cps.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) return cps.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
  }
  return undefined;
}

/** Composite bounds of a range in one store, or undefined when the range is empty. */
export function storeBounds(store: string, o: { gte?: string; lt?: string; prefix?: string }): KeyBounds | undefined {
  let gte = storeKey(store, o.gte ?? '');
  // A store's keys all start with `<store>\u0000`, so the store ends where that prefix does.
  let lt = o.lt === undefined ? (prefixEnd(storeKey(store, '')) as string) : storeKey(store, o.lt);
  if (o.prefix !== undefined) {
    const start = storeKey(store, o.prefix);
    const end = prefixEnd(start) as string; // defined: the store name is ASCII
    if (compareKeys(start, gte) > 0) gte = start;
    if (compareKeys(end, lt) < 0) lt = end;
  }
  return compareKeys(gte, lt) < 0 ? { gte, lt } : undefined;
}

export function inBounds(key: string, b: KeyBounds): boolean {
  return compareKeys(key, b.gte) >= 0 && compareKeys(key, b.lt) < 0;
}
