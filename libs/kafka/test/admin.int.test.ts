/** Admin offsets against the real broker: a missing topic is a clear error, not a wait. */
import { describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { createAdmin, type KafkaConnection } from '../src/index.ts';
import { createTopic, produceValues } from './helpers.ts';

const conn = (): KafkaConnection => ({ brokers: testPlatform().brokers });

describe('admin end offsets', () => {
  it('reports the log start and end of each partition', async () => {
    const topic = uniqueName('ends');
    await createTopic(conn(), topic, 2);
    await produceValues(conn(), topic, ['a', 'b', 'c', 'd', 'e']);
    const admin = await createAdmin(conn());
    try {
      const ends = await admin.endOffsets(topic);
      expect(ends.map((e) => e.partition)).toEqual([0, 1]);
      expect(ends.every((e) => e.low === 0)).toBe(true);
      expect(ends.reduce((n, e) => n + e.high, 0)).toBe(5);
    } finally {
      await admin.close();
    }
  });

  it('rejects a missing topic with KAFKA_TOPIC_NOT_FOUND instead of waiting for it', async () => {
    const admin = await createAdmin(conn());
    try {
      const missing = uniqueName('missing');
      const started = Date.now();
      await expect(admin.endOffsets(missing)).rejects.toMatchObject({
        code: 'KAFKA_TOPIC_NOT_FOUND',
        message: expect.stringContaining(missing),
      });
      expect(Date.now() - started).toBeLessThan(15_000);
      // Nothing was created by asking.
      expect(await admin.listTopics()).not.toContain(missing);
    } finally {
      await admin.close();
    }
  }, 30_000);
});
