/**
 * An engine in memory, for the in-memory test driver and unit tests of the runtime. Same
 * contract and ordering as LevelDbEngine; nothing survives the process.
 */
import { AmbitError } from '@ambit/core';
import type { Checkpoint } from './checkpoint.ts';
import type { Change, Entry, StorageEngine } from './engine.ts';
import type { KeyBounds } from './keys.ts';
import { SortedMap } from './sorted-map.ts';

export class InMemoryEngine implements StorageEngine {
  readonly #data = new SortedMap<Buffer>();
  #checkpoint: Checkpoint | undefined;
  #closed = false;

  async get(key: string): Promise<Buffer | undefined> {
    this.#assertOpen();
    return this.#data.get(key);
  }

  range(bounds: KeyBounds, reverse: boolean): AsyncIterable<Entry> {
    this.#assertOpen();
    const snapshot = this.#data.between(bounds.gte, bounds.lt);
    if (reverse) snapshot.reverse();
    return iterate(snapshot);
  }

  async readCheckpoint(): Promise<Checkpoint | undefined> {
    this.#assertOpen();
    return this.#checkpoint;
  }

  async write(changes: Iterable<Change>, checkpoint: Checkpoint): Promise<void> {
    this.#assertOpen();
    for (const [k, v] of changes) {
      if (v === null) this.#data.delete(k);
      else this.#data.set(k, v);
    }
    this.#checkpoint = checkpoint;
  }

  async wipe(): Promise<void> {
    this.#assertOpen();
    this.#data.clear();
    this.#checkpoint = undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new AmbitError('STATE_CLOSED', 'in-memory state engine is closed');
  }
}

async function* iterate(entries: readonly Entry[]): AsyncGenerator<Entry> {
  yield* entries;
}
