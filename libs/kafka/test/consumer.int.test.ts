/**
 * Consumer batching against the real broker: consume(max, timeout) waits only for the
 * first record, then returns what is ready, instead of waiting `timeout` for each record
 * until it has `max` (the client's default, which made outputs at low input rates wait
 * for seconds).
 */
import { describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { createConsumer, type KafkaConnection } from '../src/index.ts';
import { createTopic, produceValues } from './helpers.ts';

const conn = (): KafkaConnection => ({ brokers: testPlatform().brokers });

describe('consumer', () => {
  it('returns the records that are ready without waiting for a full batch', async () => {
    const topic = uniqueName('batch');
    await createTopic(conn(), topic);
    await produceValues(conn(), topic, ['a', 'b', 'c']);
    const c = await createConsumer(conn(), { isolation: 'read_committed' });
    try {
      c.assign([{ topic, partition: 0, offset: -2 }]);
      const got = [];
      const started = Date.now();
      // 10 s per record would be 10 s after the third record; ready records come back at once.
      while (got.length < 3 && Date.now() - started < 30_000) got.push(...(await c.consume(1_000, 10_000)));
      const elapsed = Date.now() - started;
      expect(got.map((r) => r.value?.toString())).toEqual(['a', 'b', 'c']);
      expect(elapsed).toBeLessThan(5_000);
      // Nothing more: the next call waits for its timeout and returns empty.
      const idleStart = Date.now();
      expect(await c.consume(1_000, 300)).toEqual([]);
      expect(Date.now() - idleStart).toBeGreaterThanOrEqual(250);
    } finally {
      await c.close();
    }
  });
});
