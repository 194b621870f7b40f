/**
 * The comparison's pass/fail rules: the fold and its checksum (which the Java peer must
 * reproduce), the output checks, the percentile and the profile's areas.
 */
import { describe, expect, it } from 'vitest';
import { checkOutputs, median, percentile, type DecodedOutput } from './measure.ts';
import { areaOf } from './profile.ts';
import { expectedStates, FOLD_INIT, foldEvent, generateEvents, seqOfFramedEvent, stateChecksum } from './workload.ts';

describe('workload', () => {
  it('folds like the Java peer: int overflow of (chain ^ seq) * 16777619, unsigned', () => {
    // Reference values computed with the Java expression `(chain ^ (int) seq) * 16777619`.
    let s = FOLD_INIT;
    for (const seq of [0, 1, 950, 2_000_000_000]) s = foldEvent(s, { seq, payload: 'é' });
    expect(s.count).toBe(4);
    expect(s.bytes).toBe(8); // 'é' is 2 bytes in UTF-8
    let chain = 2166136261 | 0;
    for (const seq of [0, 1, 950, 2_000_000_000]) chain = Number(BigInt.asIntN(32, BigInt(chain ^ seq) * 16777619n));
    expect(s.chain).toBe(chain >>> 0);
  });

  it('generates framed-size events whose seq reads back, the same for the same seed', () => {
    const a = generateEvents(500, 20, 200, 42);
    expect(generateEvents(500, 20, 200, 42)).toEqual(a);
    expect(new Set(a.map((e) => e.key)).size).toBe(20);
    // 5 framing bytes + seq varint + 2-byte length + payload = 200
    const framed = (seq: number, payload: string) => {
      const zz = [];
      let z = seq * 2;
      do {
        zz.push((z & 0x7f) | (z >= 128 ? 0x80 : 0));
        z = Math.floor(z / 128);
      } while (z > 0);
      return Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), Buffer.from(zz), Buffer.from([0, 0]), Buffer.from(payload)]);
    };
    for (const e of [a[0]!, a[77]!, a[499]!]) {
      const v = framed(e.event.seq, e.event.payload);
      expect(v.length).toBe(200);
      expect(seqOfFramedEvent(v)).toBe(e.event.seq);
    }
  });

  it('checksums the final state per key, independent of key order, without warm-up keys', () => {
    const events = generateEvents(300, 10, 50, 1);
    const states = expectedStates(events);
    const reversed = new Map([...states.entries()].reverse());
    reversed.set('warm-3', { count: 1, chain: 1, bytes: 1 });
    expect(stateChecksum(reversed)).toBe(stateChecksum(states));
    const changed = new Map(states);
    const [k, v] = [...changed.entries()][0]!;
    changed.set(k, { ...v, chain: v.chain ^ 1 });
    expect(stateChecksum(changed)).not.toBe(stateChecksum(states));
  });
});

describe('checkOutputs', () => {
  const events = generateEvents(50, 5, 40, 3);
  const states = expectedStates(events);
  const outputs = (): DecodedOutput[] => {
    const running = new Map<string, ReturnType<typeof foldEvent>>();
    return events.map(({ key, event }) => {
      const state = foldEvent(running.get(key) ?? FOLD_INIT, event);
      running.set(key, state);
      return { key, seq: event.seq, state, receivedAt: 0 };
    });
  };

  it('passes one output per input with the expected checksum (warm-up outputs ignored)', () => {
    const o = [{ key: 'warm-0', seq: -1, receivedAt: 0 }, ...outputs()];
    const check = checkOutputs(o, 50, stateChecksum(states));
    expect(check).toMatchObject({ ok: true, outputs: 50, missing: 0, duplicates: 0, unexpected: 0 });
  });

  it('fails on a missing, a repeated or an unknown output, and on a wrong final state', () => {
    const o = outputs();
    expect(checkOutputs(o.slice(1), 50).problems).toEqual(['1 inputs without output']);
    expect(checkOutputs([...o, o[3]!], 50).problems).toEqual(['1 inputs with more than one output']);
    expect(checkOutputs([...o, { key: 'x', seq: 50, receivedAt: 0 }], 50).problems).toEqual(['1 outputs for no input']);
    const last = o.at(-1)!;
    const wrong = [...o.slice(0, -1), { ...last, state: { ...last.state!, bytes: last.state!.bytes + 1 } }];
    const check = checkOutputs(wrong, 50, stateChecksum(states));
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toMatch(/^state checksum [0-9a-f]{16} != expected/);
  });
});

describe('statistics and profile areas', () => {
  it('median and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
  });

  it('attributes frames to our packages, dependencies (pnpm layout) and Node', () => {
    expect(areaOf('file:///r/node_modules/.pnpm/avsc@5.7.7/node_modules/avsc/lib/types.js', 'f')).toBe('avsc');
    expect(areaOf('file:///r/node_modules/.pnpm/@confluentinc+k@1/node_modules/@confluentinc/kafka-javascript/lib/p.js', 'f')).toBe(
      '@confluentinc/kafka-javascript',
    );
    expect(areaOf('file:///r/libs/runtime/src/agent-runner.ts', 'f')).toBe('libs/runtime');
    expect(areaOf('node:internal/fs', 'f')).toBe('node internals');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
  });
});
