/**
 * The storage engine contract: the bottom of the stack, holding what was committed to Kafka
 * (or restored from the changelog) for one task, plus the checkpoint saying how far that
 * is. Keys are composite (`<store>\u0000<key>`, see keys.ts) and order by UTF-8 bytes.
 * Implementations: LevelDbEngine (production, ADR 0006) and InMemoryEngine (tests, driver).
 */
import type { Checkpoint } from './checkpoint.ts';
import type { KeyBounds } from './keys.ts';

/** A key and its value, or null for a tombstone. */
export type Change = readonly [key: string, value: Buffer | null];

/** A stored key and value (engines hold no tombstones). */
export type Entry = readonly [key: string, value: Buffer];

/** What every layer offers the one above it. */
export interface Reader {
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Entries within `bounds`, ascending or descending, as of this call: the snapshot is
   * taken synchronously, iteration is lazy.
   */
  range(bounds: KeyBounds, reverse: boolean): AsyncIterable<Entry>;
}

export interface StorageEngine extends Reader {
  readCheckpoint(): Promise<Checkpoint | undefined>;
  /** Applies `changes` in order and stores `checkpoint`, all or nothing. */
  write(changes: Iterable<Change>, checkpoint: Checkpoint): Promise<void>;
  /** Deletes everything (data and checkpoint) and leaves the engine open and empty. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}
