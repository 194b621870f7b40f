import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { checkKey, checkStoreName, compareKeys, prefixEnd, storeBounds, storeKey } from './keys.ts';
import { prng } from './test-support.ts';

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const sign = (n: number): number => Math.sign(n);

describe('compareKeys', () => {
  it('orders by UTF-8 bytes where JS string order does not', () => {
    // U+FFFF is one UTF-16 unit above the surrogates; in UTF-8 it sorts below every astral character.
    expect('\uFFFF' > '😀').toBe(true);
    expect(compareKeys('\uFFFF', '😀')).toBeLessThan(0);
    expect(byBytes('\uFFFF', '😀')).toBeLessThan(0);
    expect(compareKeys('a', 'a\u0000')).toBeLessThan(0);
    expect(compareKeys('', 'a')).toBeLessThan(0);
  });

  it('agrees with Buffer.compare on random well-formed strings', () => {
    const alphabet = ['a', 'b', '\u0000', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '😀', '😁', '\u{10ffff}'];
    const rnd = prng(7);
    const word = (): string => Array.from({ length: Math.floor(rnd() * 4) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = word();
      expect(sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(sign(byBytes(a, b)));
    }
  });
});

describe('prefixEnd', () => {
  it('is the least string above every extension of the prefix', () => {
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a\ud7ff')).toBe('a\ue000'); // skips the surrogate range
    expect(prefixEnd('a\u{10ffff}')).toBe('b');
    expect(prefixEnd('\u{10ffff}')).toBeUndefined();
    expect(prefixEnd('')).toBeUndefined();
    const end = prefixEnd('a😀') as string;
    for (const k of ['a😀', 'a😀\u{10ffff}\u{10ffff}', 'a😀zz']) expect(byBytes(k, end)).toBeLessThan(0);
    expect(byBytes('a😁', end)).toBe(0);
  });
});

describe('storeBounds', () => {
  it('keeps a range inside its store and intersects bounds with the prefix', () => {
    expect(storeBounds('s', {})).toEqual({ gte: 's\u0000', lt: 's\u0001' });
    expect(storeBounds('s', { prefix: 'ab', gte: 'aa', lt: 'b' })).toEqual({ gte: storeKey('s', 'ab'), lt: storeKey('s', 'ac') });
    expect(storeBounds('s', { prefix: 'ab', gte: 'abc' })).toEqual({ gte: storeKey('s', 'abc'), lt: storeKey('s', 'ac') });
    expect(storeBounds('s', { gte: 'b', lt: 'a' })).toBeUndefined();
    expect(storeBounds('s', { prefix: '\u{10ffff}' })).toEqual({ gte: storeKey('s', '\u{10ffff}'), lt: 's\u0001' });
  });
});

describe('validation', () => {
  it('rejects lone surrogates and store names that cannot be part of a topic name', () => {
    const code = (f: () => void): unknown => {
      try {
        f();
      } catch (e) {
        return isAmbitError(e) ? e.code : e;
      }
      return undefined;
    };
    expect(code(() => checkKey('a\ud800'))).toBe('STATE_INVALID_ARGUMENT');
    expect(code(() => checkKey('\udc00b'))).toBe('STATE_INVALID_ARGUMENT');
    expect(code(() => checkKey('😀\u0000'))).toBeUndefined();
    expect(code(() => checkStoreName('a.b'))).toBe('STATE_INVALID_ARGUMENT');
    expect(code(() => checkStoreName(''))).toBe('STATE_INVALID_ARGUMENT');
    expect(code(() => checkStoreName('user_profiles-2'))).toBeUndefined();
  });
});
