/**
 * Consumer batching against the real broker: consume(max, timeout) waits only for the
 * first record, then returns what is ready, instead of waiting `timeout` for each record
 * until it has `max` (the client's default, which made outputs at low input rates wait
 * for seconds).
 */
import { describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { createConsumer, type KafkaConnection, type KafkaConsumer } from '../src/index.ts';
import { nativeConsumer } from '../src/consumer.ts';
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
      // Waiting the timeout per record would return 30 s after the third record at the earliest;
      // ready records come back at once. The bound is half of that, so a loaded machine's
      // fetch of a fresh assignment cannot be mistaken for the wait.
      while (got.length < 3 && Date.now() - started < 40_000) got.push(...(await c.consume(1_000, 30_000)));
      const elapsed = Date.now() - started;
      expect(got.map((r) => r.value?.toString())).toEqual(['a', 'b', 'c']);
      expect(elapsed).toBeLessThan(15_000);
      // Nothing more: the next call waits for its timeout and returns empty.
      const idleStart = Date.now();
      expect(await c.consume(1_000, 300)).toEqual([]);
      expect(Date.now() - idleStart).toBeGreaterThanOrEqual(250);
    } finally {
      await c.close();
    }
  });

  it('surfaces a rebalance the client can no longer apply on the next consume, without crashing', async () => {
    // CI once saw a host exit on an unhandled rejection: a rebalance callback arrived while
    // the consumer was disconnecting, and applying its assignment threw inside the callback.
    const topic = uniqueName('rebalance');
    await createTopic(conn(), topic);
    let hookCalls = 0;
    const c: KafkaConsumer = await createConsumer(conn(), {
      groupId: uniqueName('rebalance-group'),
      onAssign: async () => {
        hookCalls += 1;
        // The handle goes away while the hook runs: the assign after it is rejected.
        await new Promise<void>((resolve) => nativeConsumer(c).disconnect(() => resolve()));
      },
    });
    c.subscribe([topic]);
    let error: unknown;
    const started = Date.now();
    while (error === undefined && Date.now() - started < 30_000) {
      try {
        await c.consume(100, 200);
      } catch (e) {
        error = e;
      }
    }
    expect(hookCalls).toBe(1);
    expect(error).toMatchObject({ message: expect.stringContaining('apply the rebalance assignment') });
    // The client's words for it, as in the CI failure.
    expect((error as Error).message).toContain('Erroneous state');
    await c.close();
  });
});
