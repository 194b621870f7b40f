import { describe, expect, it } from 'vitest';
import { classify, CONFIDENT_REMOVE_BP, isConfidentRemove, MAX_TEXT_CHARS } from './classify.ts';

describe('classify', () => {
  it('approves text with no listed terms', () => {
    expect(classify('What a lovely afternoon in the park')).toEqual({ outcome: 'approve', confidenceBp: 9500, score: 0, terms: [] });
  });

  it('lowers approval confidence for weak hits', () => {
    expect(classify('FREE click here')).toMatchObject({ outcome: 'approve', score: 2, confidenceBp: 7500, terms: ['click', 'free'] });
  });

  it('flags from the flag score', () => {
    expect(classify('you idiot, this is spam')).toMatchObject({ outcome: 'flag', score: 6, confidenceBp: 7000 });
  });

  it('removes from the remove score, confidently only from score 12', () => {
    const weak = classify('scam scam'); // 10
    expect(weak).toMatchObject({ outcome: 'remove', score: 10, confidenceBp: 8000 });
    expect(isConfidentRemove(weak)).toBe(false);
    const strong = classify('bomb threat'); // 12
    expect(strong).toMatchObject({ outcome: 'remove', score: 12, confidenceBp: CONFIDENT_REMOVE_BP });
    expect(isConfidentRemove(strong)).toBe(true);
    expect(classify('kill kill bomb nazi porn').confidenceBp).toBe(10_000);
  });

  it('matches whole words only, case-insensitively, across punctuation', () => {
    expect(classify('skill, hatefulness, scampi').score).toBe(0);
    expect(classify('HATE!hate?Hate').terms).toEqual(['hate']);
  });

  it('caps repeats of one term', () => {
    expect(classify('spam '.repeat(50)).score).toBe(9);
  });

  it('reads only a bounded prefix of the text', () => {
    expect(classify('a'.repeat(MAX_TEXT_CHARS) + ' bomb bomb').score).toBe(0);
    expect(classify('a'.repeat(MAX_TEXT_CHARS - 5) + ' bomb').score).toBe(7);
  });

  it('is deterministic', () => {
    const text = 'free crypto winner, click now; total scam';
    expect(classify(text)).toEqual(classify(text));
  });
});
