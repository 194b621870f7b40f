import { describe, expect, it } from 'vitest';
import { EMPTY_CHAIN, fnv1a32, fold, foldAll } from './trends.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe('811c9dc5');
    expect(fnv1a32('a')).toBe('e40c292c');
    expect(fnv1a32('foobar')).toBe('bf9cf968');
  });
});

describe('fold', () => {
  const a = { contentId: 't1:c1', text: 'hello' };
  const b = { contentId: 't1:c2', text: 'bomb threat' };
  const c = { contentId: 't1:c3', text: 'you idiot, spam' };

  it('starts a trend from nothing', () => {
    expect(fold(undefined, a)).toEqual({ count: 1, flagged: 0, lastContentId: 't1:c1', chain: fnv1a32(`${EMPTY_CHAIN}\nt1:c1`) });
  });

  it('counts flagged and removed submissions', () => {
    expect(foldAll([a, b, c])).toMatchObject({ count: 3, flagged: 2, lastContentId: 't1:c3' });
  });

  it('is order-sensitive and sensitive to duplicates and losses', () => {
    const chain = (events: Array<typeof a>) => foldAll(events)!.chain;
    const base = chain([a, b, c]);
    expect(chain([a, c, b])).not.toBe(base);
    expect(chain([a, b, b, c])).not.toBe(base);
    expect(chain([a, c])).not.toBe(base);
    expect(chain([a, b, c])).toBe(base);
  });

  it('does not mutate the previous state', () => {
    const s1 = fold(undefined, a);
    const copy = { ...s1 };
    fold(s1, b);
    expect(s1).toEqual(copy);
  });

  it('foldAll of nothing is the initial state', () => {
    expect(foldAll([])).toBeUndefined();
  });
});
