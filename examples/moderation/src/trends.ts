/**
 * The per-user trend kept in store `trends`, and the pure fold that produces it. The
 * agent applies `fold` to each input in order, so the final state of a key is an
 * order-sensitive function of that key's inputs: the exactly-once tests recompute it from
 * what they produced and compare it with the changelog and the stores.
 */
import { classify } from './classify.ts';

export interface TrendState {
  /** Submissions seen for the user. */
  readonly count: number;
  /** Of those, how many were flagged or removed. */
  readonly flagged: number;
  readonly lastContentId: string;
  /**
   * Rolling FNV-1a (32-bit, 8 hex digits) over the previous chain and each content id:
   * a lost, duplicated or reordered input changes it.
   */
  readonly chain: string;
}

/** What the fold needs of an input (a `ContentSubmitted` has both fields). */
export interface TrendEvent {
  readonly contentId: string;
  readonly text: string;
}

/** The chain of a user with no submissions yet. */
export const EMPTY_CHAIN = '811c9dc5';

/** FNV-1a 32-bit over the UTF-16 code units of `s`, as 8 lower-case hex digits. */
export function fnv1a32(s: string, seed = 0x811c9dc5): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The next state of a user after one more submission. Pure. */
export function fold(prev: TrendState | undefined, event: TrendEvent): TrendState {
  const flagged = classify(event.text).outcome === 'approve' ? 0 : 1;
  return {
    count: (prev?.count ?? 0) + 1,
    flagged: (prev?.flagged ?? 0) + flagged,
    lastContentId: event.contentId,
    chain: fnv1a32(`${prev?.chain ?? EMPTY_CHAIN}\n${event.contentId}`),
  };
}

/** The state after all of `events`, in order (undefined for none). */
export function foldAll(events: Iterable<TrendEvent>, initial?: TrendState): TrendState | undefined {
  let s = initial;
  for (const e of events) s = fold(s, e);
  return s;
}
