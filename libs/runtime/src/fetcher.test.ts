import { describe, expect, it } from 'vitest';
import type { ConsumedRecord, KafkaConsumer } from '@ambit/kafka';
import { Fetcher } from './fetcher.ts';

const rec = (partition: number, offset: number): ConsumedRecord => ({
  topic: 't',
  partition,
  offset,
  key: 'k',
  keyBytes: Buffer.from('k'),
  value: null,
  headers: {},
  timestamp: 0,
});

/** A consumer double whose fetches resolve when the test says, in order. */
function fakeConsumer() {
  const pending: Array<{ resolve: (r: ConsumedRecord[]) => void; reject: (e: unknown) => void }> = [];
  let fetches = 0;
  const consumer = {
    fetch: () => {
      fetches++;
      return new Promise<ConsumedRecord[]>((resolve, reject) => pending.push({ resolve, reject }));
    },
    settled: async () => {},
  } as unknown as KafkaConsumer;
  return {
    consumer,
    fetches: () => fetches,
    answer: async (records: ConsumedRecord[]) => {
      while (pending.length === 0) await new Promise((r) => setImmediate(r));
      pending.shift()!.resolve(records);
    },
    fail: async (e: unknown) => {
      while (pending.length === 0) await new Promise((r) => setImmediate(r));
      pending.shift()!.reject(e);
    },
  };
}

describe('Fetcher', () => {
  it('starts the next fetch as soon as it hands a batch over', async () => {
    const c = fakeConsumer();
    const f = new Fetcher(() => c.consumer, 10, 50);
    const first = f.next();
    await c.answer([rec(0, 1)]);
    expect((await first).map((r) => r.offset)).toEqual([1]);
    expect(c.fetches()).toBe(2); // the second is in flight while the first batch is processed
    const second = f.next();
    await c.answer([rec(0, 2)]);
    expect((await second).map((r) => r.offset)).toEqual([2]);
  });

  it('around a seek: what was fetched before it for the seeked partitions is dropped, the rest handed over in order', async () => {
    const c = fakeConsumer();
    const f = new Fetcher(() => c.consumer, 10, 50);
    const first = f.next();
    await c.answer([rec(0, 1), rec(1, 1)]);
    await first;
    // A seek of partition 0 while the prefetch is in flight: it completes into the stash first.
    const quiesced = f.quiesce();
    await c.answer([rec(0, 2), rec(1, 2), rec(0, 3)]);
    await quiesced;
    f.dropped([{ topic: 't', partition: 0 }]);
    const next = f.next(); // hands the stash over without waiting for a fetch
    expect((await next).map((r) => [r.partition, r.offset])).toEqual([[1, 2]]);
    const after = f.next();
    await c.answer([rec(0, 0), rec(1, 3)]); // fetched after the seek: from the new position
    expect((await after).map((r) => [r.partition, r.offset])).toEqual([
      [0, 0],
      [1, 3],
    ]);
  });

  it('a fetch that fails while quiescing surfaces from the next call, then fetching goes on', async () => {
    const c = fakeConsumer();
    const f = new Fetcher(() => c.consumer, 10, 50);
    const first = f.next();
    await c.answer([]);
    await first;
    const q = f.quiesce();
    await c.fail(new Error('broker gone'));
    await q;
    await expect(f.next()).rejects.toThrow('broker gone');
    const again = f.next();
    await c.answer([rec(0, 5)]);
    expect((await again).map((r) => r.offset)).toEqual([5]);
  });
});
