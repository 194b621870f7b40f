import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, writeDiagnostics } from './diagnostics.ts';

describe('formatDiagnostic', () => {
  it('puts channel and time first, then the message fields', () => {
    expect(formatDiagnostic('ambit:runtime:txn', { event: 'progress', records: 3, tasks: [0, 2] }, 1700)).toBe(
      '{"ch":"ambit:runtime:txn","t":1700,"event":"progress","records":3,"tasks":[0,2]}',
    );
  });

  it('wraps non-object messages and survives odd values', () => {
    expect(JSON.parse(formatDiagnostic('c', 5, 1))).toEqual({ ch: 'c', t: 1, value: 5 });
    expect(JSON.parse(formatDiagnostic('c', { n: 10n, s: new Set([1]), e: Object.assign(new Error('boom'), { code: 'X' }) }, 1))).toEqual({
      ch: 'c',
      t: 1,
      n: 10,
      s: [1],
      e: { name: 'Error', message: 'boom', code: 'X' },
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(formatDiagnostic('c', cyclic, 1))).toMatchObject({ ch: 'c', t: 1, unserializable: expect.any(String) });
  });
});

describe('writeDiagnostics', () => {
  it('writes one line per message on every channel until unsubscribed', () => {
    const lines: string[] = [];
    const stop = writeDiagnostics(
      ['test:a', 'test:b'],
      (l) => lines.push(l),
      () => 42,
    );
    diagnostics.channel('test:a').publish({ x: 1 });
    diagnostics.channel('test:b').publish({ y: 2 });
    stop();
    diagnostics.channel('test:a').publish({ x: 3 });
    expect(lines).toEqual(['{"ch":"test:a","t":42,"x":1}', '{"ch":"test:b","t":42,"y":2}']);
  });
});
