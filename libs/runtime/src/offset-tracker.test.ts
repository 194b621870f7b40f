import { describe, expect, it } from 'vitest';
import { OffsetTracker } from './offset-tracker.ts';

describe('OffsetTracker', () => {
  it('commits the lowest incomplete offset and lists the completed ones above it', () => {
    const t = new OffsetTracker();
    expect(t.position()).toBeUndefined();
    for (const o of [10, 11, 13, 14, 16]) t.add(o); // gaps: transaction markers
    t.complete(13);
    t.complete(16);
    expect(t.position()).toBe(10);
    expect(t.doneAbove()).toEqual([13, 16]);
    t.complete(10);
    expect(t.position()).toBe(11);
    t.complete(11);
    expect(t.position()).toBe(14);
    expect(t.doneAbove()).toEqual([16]);
    expect(t.lowestIncomplete()).toBe(14);
    expect(t.incomplete).toBe(1);
    t.complete(14);
    expect(t.position()).toBe(17);
    expect(t.lowestIncomplete()).toBeUndefined();
    expect(t.doneAbove()).toEqual([]);
  });

  it('agrees with a brute-force model under random completion orders', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const t = new OffsetTracker();
      const offsets: number[] = [];
      let o = Math.floor(rand() * 100);
      for (let i = 0; i < 300; i++) offsets.push((o += 1 + Math.floor(rand() * 3)));
      offsets.forEach((x) => t.add(x));
      const done = new Set<number>();
      for (const x of [...offsets].sort(() => rand() - 0.5)) {
        t.complete(x);
        done.add(x);
        const lowest = offsets.find((y) => !done.has(y));
        expect(t.position()).toBe(lowest ?? offsets.at(-1)! + 1);
        expect(t.doneAbove()).toEqual(lowest === undefined ? [] : offsets.filter((y) => y > lowest && done.has(y)));
      }
    }
  });

  it('refuses offsets out of order or never entered', () => {
    const t = new OffsetTracker();
    t.add(5);
    expect(() => t.add(5)).toThrow(RangeError);
    expect(() => t.complete(6)).toThrow(RangeError);
  });
});
