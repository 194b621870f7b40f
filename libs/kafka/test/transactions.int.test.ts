/**
 * EOS v2 building blocks against the real broker: commit (outputs + offsets together),
 * abort-and-rewind, and the stale-generation "rejoin" code.
 */
import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { testClientProfile, testPlatform, uniqueName } from '@ambit/testing';
import { createAdmin, createConsumer, createTransactionalProducer, type KafkaConnection } from '../src/index.ts';
import { createTopic, produceValues, readAll } from './helpers.ts';

const conn = (): KafkaConnection => ({ brokers: testPlatform().brokers });

async function consumeExactly(c: Awaited<ReturnType<typeof createConsumer>>, n: number, deadlineMs = 30_000) {
  const got = [];
  const until = Date.now() + deadlineMs;
  while (got.length < n && Date.now() < until) got.push(...(await c.consume(n - got.length, 200)));
  return got;
}

describe('transactions', () => {
  it('a committed transaction with produce + offsets is seen exactly once and moves the group offset', async () => {
    const input = uniqueName('txn-in');
    const output = uniqueName('txn-out');
    const group = uniqueName('g');
    await createTopic(conn(), input);
    await createTopic(conn(), output);
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`);
    await produceValues(conn(), input, values);

    const consumer = await createConsumer(conn(), { groupId: group });
    const producer = await createTransactionalProducer(conn(), { transactionalId: uniqueName('tx') });
    try {
      consumer.subscribe([input]);
      await producer.init();
      const records = await consumeExactly(consumer, 10);
      expect(records.map((r) => r.value?.toString())).toEqual(values);
      await producer.begin();
      for (const r of records) {
        await producer.produce({ topic: output, key: r.key, value: Buffer.from(`out-${r.value}`) });
      }
      await producer.sendOffsets([{ topic: input, partition: 0, offset: records.at(-1)!.offset + 1 }], consumer);
      await producer.commit();
    } finally {
      await producer.close();
      await consumer.close();
    }

    const out = await readAll(conn(), output, { expected: 10 });
    expect(out.map((r) => r.value?.toString())).toEqual(values.map((v) => `out-${v}`));
    expect(out.map((r) => r.key)).toEqual(values.map((_, i) => `k${i}`));
    const admin = await createAdmin(conn());
    try {
      expect((await admin.committedOffsets(group, input)).get(0)).toBe(10);
    } finally {
      await admin.close();
    }
  });

  it('an aborted transaction is invisible and, after rewind, its input is consumed again', async () => {
    const input = uniqueName('abort-in');
    const output = uniqueName('abort-out');
    const group = uniqueName('g');
    await createTopic(conn(), input);
    await createTopic(conn(), output);
    const values = ['a', 'b', 'c', 'd', 'e'];
    await produceValues(conn(), input, values);

    const consumer = await createConsumer(conn(), { groupId: group });
    const producer = await createTransactionalProducer(conn(), { transactionalId: uniqueName('tx') });
    let consumedTimes = 0;
    try {
      consumer.subscribe([input]);
      await producer.init();
      const first = await consumeExactly(consumer, 5);
      consumedTimes += first.length;
      await producer.begin();
      for (const r of first) await producer.produce({ topic: output, key: r.key, value: Buffer.from(`aborted-${r.value}`) });
      await producer.sendOffsets([{ topic: input, partition: 0, offset: first.at(-1)!.offset + 1 }], consumer);
      await producer.flush(); // on the log, so the abort marker is what hides them
      await producer.abort();
      await consumer.rewindToCommitted();

      const again = await consumeExactly(consumer, 5);
      consumedTimes += again.length;
      expect(again.map((r) => r.offset)).toEqual(first.map((r) => r.offset));
      await producer.begin();
      for (const r of again) await producer.produce({ topic: output, key: r.key, value: Buffer.from(`ok-${r.value}`) });
      await producer.sendOffsets([{ topic: input, partition: 0, offset: again.at(-1)!.offset + 1 }], consumer);
      await producer.commit();
    } finally {
      await producer.close();
      await consumer.close();
    }
    expect(consumedTimes).toBe(10);

    const committed = await readAll(conn(), output, { expected: 5 });
    expect(committed.map((r) => r.value?.toString())).toEqual(values.map((v) => `ok-${v}`));
    // The aborted records were written: a read_uncommitted reader sees them, read_committed never does.
    const uncommitted = await readAll(conn(), output, { isolation: 'read_uncommitted', expected: 10 });
    expect(uncommitted.filter((r) => r.value?.toString().startsWith('aborted-'))).toHaveLength(5);
  });

  it('a member whose generation is stale after a rebalance gets the rejoin code when it sends offsets', async () => {
    const input = uniqueName('stale-in');
    const group = uniqueName('g');
    await createTopic(conn(), input, 2);
    await produceValues(conn(), input, ['x', 'y', 'z', 'w']);
    const { sessionTimeoutMs, heartbeatIntervalMs } = testClientProfile;
    const timeouts = { sessionTimeoutMs, heartbeatIntervalMs, maxPollIntervalMs: sessionTimeoutMs };

    const a = await createConsumer(conn(), { groupId: group, ...timeouts });
    const producer = await createTransactionalProducer(conn(), { transactionalId: uniqueName('tx') });
    const b = await createConsumer(conn(), { groupId: group, ...timeouts });
    try {
      a.subscribe([input]);
      await producer.init();
      const got = await consumeExactly(a, 1);
      expect(got.length).toBe(1);
      // B joins; A stops polling, so the group rebalances without A and A's generation goes stale.
      b.subscribe([input]);
      const until = Date.now() + 25_000;
      while (Date.now() < until && b.assignment().length < 2) await b.consume(10, 200);
      expect(b.assignment()).toHaveLength(2);

      await producer.begin();
      await producer.produce({ topic: input, key: 'k', value: Buffer.from('late') });
      const err = await producer.sendOffsets([{ topic: input, partition: got[0]!.partition, offset: got[0]!.offset + 1 }], a).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAmbitError(err)).toBe(true);
      expect(isAmbitError(err) && err.code).toBe('KAFKA_STALE_GENERATION');
      expect(isAmbitError(err) && err.action).toBe('rejoin');
      await producer.abort().catch(() => undefined);
    } finally {
      await producer.close();
      await Promise.all([a.close(), b.close()]);
    }
  });
});
