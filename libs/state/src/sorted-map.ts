/**
 * A map whose keys are kept in UTF-8 byte order, for range scans over in-memory layers and
 * the in-memory engine. A sorted array plus a hash map: O(log n) lookups of a position,
 * O(n) inserts (a memmove), which is fine at the sizes a bounded buffer or a test holds.
 */
import { compareKeys } from './keys.ts';

export class SortedMap<V> {
  readonly #keys: string[] = [];
  readonly #values = new Map<string, V>();

  get size(): number {
    return this.#values.size;
  }

  get(key: string): V | undefined {
    return this.#values.get(key);
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  set(key: string, value: V): void {
    if (!this.#values.has(key)) this.#keys.splice(this.#lowerBound(key), 0, key);
    this.#values.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.#values.delete(key)) return false;
    this.#keys.splice(this.#lowerBound(key), 1);
    return true;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#values.clear();
  }

  /** A copy of the entries with `gte <= key < lt`, ascending. */
  between(gte: string, lt: string): Array<[string, V]> {
    const out: Array<[string, V]> = [];
    for (let i = this.#lowerBound(gte), end = this.#lowerBound(lt); i < end; i++) {
      const k = this.#keys[i] as string;
      out.push([k, this.#values.get(k) as V]);
    }
    return out;
  }

  /** All entries, ascending. */
  *entries(): IterableIterator<[string, V]> {
    for (const k of this.#keys) yield [k, this.#values.get(k) as V];
  }

  /** Index of the first key >= `key`. */
  #lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#keys[mid] as string, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
