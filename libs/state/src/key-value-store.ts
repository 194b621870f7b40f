/**
 * The store contract handlers and the runtime program against: string keys (UTF-8 on the
 * wire and on disk), Buffer values. Serde and metrics wrappers stack on top of it.
 */

/** A range of one store; all bounds apply together. Keys compare by UTF-8 bytes. */
export interface RangeOptions {
  /** Inclusive lower bound. */
  readonly gte?: string;
  /** Exclusive upper bound. */
  readonly lt?: string;
  /** Only keys starting with this string. */
  readonly prefix?: string;
  /** At most this many entries. */
  readonly limit?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
}

export type KeyValue = readonly [key: string, value: Buffer];

export interface ReadOnlyKeyValueStore {
  readonly name: string;
  /** The newest value of `key` across the layers (invariant 4, docs/invariants.md), or undefined. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Entries in key order (byte order of the UTF-8 keys), merged across the layers with
   * tombstones hiding older values. The iterator sees the state as of its first `next()`:
   * writes, commits or aborts after that do not change what it yields. Break out of the
   * loop (or call `return()`) to release the engine's snapshot early.
   * Returned buffers are shared with the store: do not mutate them.
   */
  range(options?: RangeOptions): AsyncIterableIterator<KeyValue>;
}

/**
 * A store seen by one record. Writes are synchronous because they only stage: they reach
 * the changelog and the transaction when the record completes (see `RecordScope.commit`).
 */
export interface KeyValueStore extends ReadOnlyKeyValueStore {
  /** Stages `value` (copied, so the caller may reuse its buffer). */
  put(key: string, value: Buffer): void;
  /** Stages a tombstone. */
  delete(key: string): void;
}
