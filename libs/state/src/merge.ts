/**
 * Merged reads across layers (invariant 4, docs/invariants.md): an upper layer's entry for
 * a key wins over every lower layer's, and an upper tombstone hides the key altogether.
 */
import type { Change, Entry } from './engine.ts';
import { compareKeys } from './keys.ts';

/** The union of in-memory layers (topmost first), the topmost entry per key, sorted; tombstones kept. */
export function stack(layersTopFirst: ReadonlyArray<Iterable<Change>>, reverse: boolean): Change[] {
  const merged = new Map<string, Buffer | null>();
  for (let i = layersTopFirst.length - 1; i >= 0; i--) {
    for (const [k, v] of layersTopFirst[i] as Iterable<Change>) merged.set(k, v);
  }
  const keys = [...merged.keys()].sort(compareKeys);
  if (reverse) keys.reverse();
  return keys.map((k) => [k, merged.get(k) as Buffer | null]);
}

/**
 * Lays `upper` (sorted in iteration order, tombstones included) over `lower`, yielding
 * live entries in iteration order. Closes `lower` when the consumer stops early, provided
 * the consumer started the result (a generator never started skips its `finally`).
 */
export async function* overlay(upper: readonly Change[], lower: AsyncIterable<Entry>, reverse: boolean): AsyncGenerator<Entry> {
  const dir = reverse ? -1 : 1;
  const it = lower[Symbol.asyncIterator]();
  try {
    let low = await it.next();
    let i = 0;
    for (;;) {
      const up = upper[i];
      if (up === undefined && low.done) return;
      const c = up === undefined ? 1 : low.done ? -1 : dir * compareKeys(up[0], low.value[0]);
      if (c <= 0) {
        i++;
        if (c === 0) low = await it.next(); // shadowed by the upper layer
        if (up !== undefined && up[1] !== null) yield [up[0], up[1]];
      } else {
        const entry = low.value as Entry;
        low = await it.next();
        yield entry;
      }
    }
  } finally {
    await it.return?.();
  }
}
