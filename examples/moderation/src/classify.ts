/**
 * The moderation classifier: a small weighted keyword table, no model, so a verdict is a
 * pure function of the text (replays and the exactly-once tests can recompute it).
 * Untrusted input is read in linear time over a bounded prefix; no regular expressions.
 */

export type Outcome = 'approve' | 'flag' | 'remove';

export interface Verdict {
  readonly outcome: Outcome;
  /** Confidence in the outcome, basis points (0..10000). */
  readonly confidenceBp: number;
  /** Sum of the weights of the matched terms (each term counted at most MAX_HITS_PER_TERM times). */
  readonly score: number;
  /** Matched table terms, sorted; never the raw text (it may hold personal data). */
  readonly terms: readonly string[];
}

/** Term -> weight. Lower-case ASCII words; the text is lower-cased and split on anything else. */
export const TERMS: Readonly<Record<string, number>> = Object.freeze({
  bomb: 7,
  nazi: 7,
  kill: 6,
  porn: 6,
  scam: 5,
  threat: 5,
  nude: 5,
  hate: 4,
  idiot: 3,
  spam: 3,
  stupid: 2,
  winner: 2,
  crypto: 2,
  free: 1,
  click: 1,
});

/** Only this many characters are read: bounded work per record whatever the input size. */
export const MAX_TEXT_CHARS = 4096;
/** A term repeated more often adds nothing ("spam spam spam spam" scores like three). */
export const MAX_HITS_PER_TERM = 3;
/** Score at or above which content is flagged / removed. */
export const FLAG_SCORE = 4;
export const REMOVE_SCORE = 10;
/** A remove verdict at least this confident also requests `content.remove`. */
export const CONFIDENT_REMOVE_BP = 9000;

const isWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57); // a-z 0-9 after lower-casing

/** Classifies `text` deterministically. */
export function classify(text: string): Verdict {
  const lower = text.slice(0, MAX_TEXT_CHARS).toLowerCase();
  const hits = new Map<string, number>();
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const word = i < lower.length && isWordChar(lower.charCodeAt(i));
    if (word && start < 0) start = i;
    else if (!word && start >= 0) {
      const w = lower.slice(start, i);
      if (Object.hasOwn(TERMS, w)) hits.set(w, Math.min(MAX_HITS_PER_TERM, (hits.get(w) ?? 0) + 1));
      start = -1;
    }
  }
  let score = 0;
  for (const [term, n] of hits) score += TERMS[term]! * n;
  const terms = [...hits.keys()].sort();
  if (score >= REMOVE_SCORE) {
    // 10 -> 8000 bp, +500 per point, capped: a remove is confident (>= 9000) from score 12.
    return { outcome: 'remove', confidenceBp: Math.min(10_000, 8000 + (score - REMOVE_SCORE) * 500), score, terms };
  }
  if (score >= FLAG_SCORE) return { outcome: 'flag', confidenceBp: 6000 + (score - FLAG_SCORE) * 500, score, terms };
  // Nothing matched: fairly sure it is fine; each weak hit lowers the confidence.
  return { outcome: 'approve', confidenceBp: 9500 - score * 1000, score, terms };
}

/** Whether a verdict also requests removal of the content. */
export function isConfidentRemove(v: Verdict): boolean {
  return v.outcome === 'remove' && v.confidenceBp >= CONFIDENT_REMOVE_BP;
}
