import { describe, expect, it } from 'vitest';
import type { DeliveryReport, ProducerRecord } from '@ambit/kafka';
import { TaskChangelog, type ChangelogSink } from './task-changelog.ts';

const CL = [
  { store: 's', topic: 'ns.a.s.changelog', partition: 2, topicId: 'id-s', deleteRetentionMs: 1 },
  { store: 't', topic: 'ns.a.t.changelog', partition: 2, topicId: 'id-t', deleteRetentionMs: 1 },
];

/** A sink that records what was produced and delivers each at the next offset of its topic. */
function sink(): { sink: ChangelogSink; sent: ProducerRecord[]; deliver(): void } {
  const sent: ProducerRecord[] = [];
  const pending: Array<[ProducerRecord, (r: DeliveryReport) => void]> = [];
  const next = new Map<string, number>();
  return {
    sent,
    sink: (r, delivered) => {
      sent.push(r);
      pending.push([r, delivered]);
      return undefined;
    },
    deliver() {
      for (const [r, cb] of pending.splice(0)) {
        const offset = next.get(r.topic) ?? 0;
        next.set(r.topic, offset + 1);
        cb({ topic: r.topic, partition: 2, offset });
      }
    },
  };
}

const b = (s: string) => Buffer.from(s);

describe('TaskChangelog', () => {
  it('without a cache: every append is produced at the next flush, at the task partition', () => {
    const c = new TaskChangelog(2, CL);
    const k = sink();
    c.append('s', 'a', b('1'));
    c.append('s', 'a', b('2'));
    c.append('t', 'x', null);
    void c.flush(k.sink);
    expect(k.sent.map((r) => [r.topic, r.partition, r.key, r.value?.toString() ?? null])).toEqual([
      ['ns.a.s.changelog', 2, 'a', '1'],
      ['ns.a.s.changelog', 2, 'a', '2'],
      ['ns.a.t.changelog', 2, 'x', null],
    ]);
  });

  it('checkpoints the highest delivered offset + 1 per changelog, never moves one back, and forgets an aborted transaction', () => {
    const c = new TaskChangelog(2, CL);
    const k = sink();
    for (const v of ['1', '2', '3']) c.append('s', 'a', b(v));
    void c.flush(k.sink);
    expect(c.committed()).toEqual([]); // nothing delivered yet: the checkpoint stays where it was
    k.deliver();
    expect(c.committed()).toEqual([{ topic: 'ns.a.s.changelog', partition: 2, topicId: 'id-s', offset: 3 }]);
    c.append('t', 'x', b('9'));
    void c.flush(k.sink);
    c.reset(); // aborted before its report came
    expect(c.committed()).toEqual([]);
  });

  it('with a record cache: a key written many times in a transaction is produced once, with its last value, when drained', () => {
    const c = new TaskChangelog(2, CL, 1_000_000);
    const k = sink();
    for (let i = 0; i < 5; i++) c.append('s', 'a', b(String(i)));
    c.append('s', 'b', b('x'));
    c.append('t', 'a', null);
    void c.flush(k.sink);
    expect(k.sent).toHaveLength(0); // held until the commit drains the cache
    c.drainCache();
    void c.flush(k.sink);
    expect(k.sent.map((r) => [r.topic, r.key, r.value?.toString() ?? null])).toEqual([
      ['ns.a.s.changelog', 'a', '4'],
      ['ns.a.s.changelog', 'b', 'x'],
      ['ns.a.t.changelog', 'a', null],
    ]);
  });

  it('with a record cache: a full cache goes out early; an abort drops what it held', () => {
    const c = new TaskChangelog(2, CL, 10);
    const k = sink();
    c.append('s', 'a', b('12345'));
    c.append('s', 'b', b('12345')); // 12 bytes > 10: evicted
    void c.flush(k.sink);
    expect(k.sent.map((r) => r.key)).toEqual(['a', 'b']);
    c.append('s', 'c', b('1'));
    c.reset();
    c.drainCache();
    void c.flush(k.sink);
    expect(k.sent.map((r) => r.key)).toEqual(['a', 'b']);
  });
});
