import { describe, expect, it } from 'vitest';
import { checkExactlyOnce, keyOrderDiff, latestByKey, sourceOf } from './verify.ts';

const out = (source: string | undefined, offset = 0) => ({
  topic: 'ns.decisions',
  partition: 0,
  offset,
  headers: (source === undefined ? {} : { 'ambit-source': Buffer.from(source, 'utf8') }) as Record<string, Buffer>,
});

describe('checkExactlyOnce', () => {
  const expected = new Set([sourceOf('content.submitted', 0, 0), sourceOf('content.submitted', 0, 1), sourceOf('content.submitted', 1, 0)]);

  it('is clean when every expected source has exactly one output', () => {
    const outputs = [out('content.submitted/1/0'), out('content.submitted/0/1'), out('content.submitted/0/0')];
    expect(checkExactlyOnce(outputs, expected)).toEqual({ missing: [], duplicates: [], unexpected: [] });
  });

  it('reports missing, duplicated and unexpected sources, sorted', () => {
    const outputs = [
      out('content.submitted/0/1', 0),
      out('content.submitted/0/1', 1),
      out('content.submitted/0/1', 2),
      out('content.submitted/9/9', 3),
      out(undefined, 4),
    ];
    expect(checkExactlyOnce(outputs, expected)).toEqual({
      missing: ['content.submitted/0/0', 'content.submitted/1/0'],
      duplicates: ['content.submitted/0/1'],
      unexpected: ['<none>@ns.decisions/0/4', 'content.submitted/9/9'],
    });
  });

  it('accepts string headers', () => {
    expect(checkExactlyOnce([{ headers: { 'ambit-source': 'a/0/0' } }], new Set(['a/0/0']))).toEqual({
      missing: [],
      duplicates: [],
      unexpected: [],
    });
  });
});

describe('latestByKey', () => {
  it('keeps the last value per key and applies tombstones', () => {
    const m = latestByKey([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
      { key: 'b', value: null },
      { key: 'c', value: null },
      { key: null, value: 9 },
      { key: 'c', value: 3 },
    ]);
    expect([...m]).toEqual([
      ['a', 2],
      ['c', 3],
    ]);
  });

  it('keyOrderDiff names keys whose outputs skip, repeat or swap their inputs', () => {
    const out = (key: string, source: string) => ({ key, headers: { 'ambit-source': Buffer.from(source) } });
    const inputs = [
      { key: 'a', source: 'in/0/1' },
      { key: 'b', source: 'in/0/2' },
      { key: 'a', source: 'in/0/3' },
    ];
    expect(keyOrderDiff([out('a', 'in/0/1'), out('b', 'in/0/2'), out('a', 'in/0/3')], inputs)).toEqual([]);
    expect(keyOrderDiff([out('a', 'in/0/3'), out('b', 'in/0/2'), out('a', 'in/0/1')], inputs)).toEqual([
      'a: got [in/0/3, in/0/1] want [in/0/1, in/0/3]',
    ]);
    expect(keyOrderDiff([out('a', 'in/0/1'), out('a', 'in/0/1'), out('b', 'in/0/2'), out('a', 'in/0/3')], inputs)).toHaveLength(1);
    expect(keyOrderDiff([out('b', 'in/0/2'), out('a', 'in/0/3')], inputs)).toEqual(['a: got [in/0/3] want [in/0/1, in/0/3]']);
  });
});
