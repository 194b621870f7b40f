/**
 * One store's slice of the task's layered keyspace, as a KeyValueStore: checks keys, maps
 * them to composite keys and back, and applies `limit` (only the top may, since lower
 * layers' entries can still be hidden by tombstones above them).
 */
import { AmbitError } from '@ambit/core';
import type { Reader } from './engine.ts';
import type { KeyValue, KeyValueStore, RangeOptions, ReadOnlyKeyValueStore } from './key-value-store.ts';
import { checkKey, storeBounds, storeKey, userKey } from './keys.ts';

export type Stage = (store: string, key: string, value: Buffer | null) => void;

export class ReadOnlyStoreView implements ReadOnlyKeyValueStore {
  readonly name: string;
  protected readonly reader: Reader;
  /** Throws when the handle may no longer be used (task closed, scope over). */
  protected readonly guard: () => void;

  constructor(name: string, reader: Reader, guard: () => void) {
    this.name = name;
    this.reader = reader;
    this.guard = guard;
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.guard();
    checkKey(key);
    return this.reader.get(storeKey(this.name, key));
  }

  async *range(o: RangeOptions = {}): AsyncIterableIterator<KeyValue> {
    this.guard();
    for (const b of [o.gte, o.lt, o.prefix]) if (b !== undefined) checkKey(b, 'range bound');
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 0 && (Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY))) {
      throw new AmbitError('STATE_INVALID_ARGUMENT', `range limit must be a non-negative integer, got ${String(o.limit)}`);
    }
    const bounds = storeBounds(this.name, o);
    if (bounds === undefined || limit === 0) return;
    let n = 0;
    for await (const [k, v] of this.reader.range(bounds, o.reverse === true)) {
      yield [userKey(this.name, k), v];
      if (++n >= limit) return;
    }
  }
}

export class StoreView extends ReadOnlyStoreView implements KeyValueStore {
  readonly #stage: Stage;

  constructor(name: string, reader: Reader, guard: () => void, stage: Stage) {
    super(name, reader, guard);
    this.#stage = stage;
  }

  put(key: string, value: Buffer): void {
    this.guard();
    checkKey(key);
    if (!Buffer.isBuffer(value)) throw new AmbitError('STATE_INVALID_ARGUMENT', `value for store ${this.name} must be a Buffer`);
    this.#stage(this.name, key, Buffer.from(value));
  }

  delete(key: string): void {
    this.guard();
    checkKey(key);
    this.#stage(this.name, key, null);
  }
}
