/**
 * One in-memory layer of writes (puts and tombstones) over composite keys, counting its
 * bytes so the transaction buffer can be bounded.
 */
import type { Change } from './engine.ts';
import type { KeyBounds } from './keys.ts';
import { SortedMap } from './sorted-map.ts';

function sizeOf(key: string, value: Buffer | null): number {
  return Buffer.byteLength(key, 'utf8') + (value?.length ?? 0);
}

export class WriteLayer {
  readonly #entries = new SortedMap<Buffer | null>();
  #bytes = 0;

  /** UTF-8 key bytes plus value bytes of the newest write per key. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value (null = tombstone), or undefined when this layer has no write for `key`. */
  lookup(key: string): Buffer | null | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: Buffer | null): void {
    const old = this.#entries.get(key);
    if (old !== undefined) this.#bytes -= sizeOf(key, old);
    this.#entries.set(key, value);
    this.#bytes += sizeOf(key, value);
  }

  /** A copy of the writes within `bounds`, ascending. */
  within(bounds: KeyBounds): Change[] {
    return this.#entries.between(bounds.gte, bounds.lt);
  }

  changes(): Iterable<Change> {
    return this.#entries.entries();
  }
}
