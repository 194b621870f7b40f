/**
 * EOS v2 building blocks against the real broker: commit (outputs + offsets together),
 * abort-and-rewind, and the stale-generation "rejoin" code.
 */
import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { testClientProfile, testPlatform, uniqueName } from '@ambit/testing';
import {
  createAdmin,
  createConsumer,
  createTransactionalProducer,
  type KafkaConnection,
  type TransactionalProducer,
} from '../src/index.ts';
import { createTopic, produceValues, readAll } from './helpers.ts';

const conn = (): KafkaConnection => ({ brokers: testPlatform().brokers });

async function consumeExactly(c: Awaited<ReturnType<typeof createConsumer>>, n: number, deadlineMs = 30_000) {
  const got = [];
  const until = Date.now() + deadlineMs;
  while (got.length < n && Date.now() < until) got.push(...(await c.consume(n - got.length, 200)));
  return got;
}

/** Produces small records into the open transaction until the client refuses one; returns that error. */
async function produceUntilRefused(producer: TransactionalProducer, topic: string, deadlineMs = 20_000): Promise<unknown> {
  const until = Date.now() + deadlineMs;
  for (let i = 0; Date.now() < until; i++) {
    const err = await producer.produce({ topic, key: 'k', value: Buffer.from(`late-${i}`) }).then(
      () => producer.flush(2_000),
      (e: unknown) => e,
    );
    if (err !== undefined) return err;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
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

  it('a transaction the broker aborted on timeout (a paused process) reports a fatal producer: recreate it', async () => {
    const output = uniqueName('timedout-out');
    await createTopic(conn(), output);
    const producer = await createTransactionalProducer(conn(), { transactionalId: uniqueName('tx'), transactionTimeoutMs: 1500 });
    try {
      await producer.init();
      await producer.begin();
      await producer.produce({ topic: output, key: 'k', value: Buffer.from('lost') });
      await producer.flush();
      // The coordinator aborts it ~1 s past the timeout and bumps the epoch, as after a SIGSTOP.
      await new Promise((r) => setTimeout(r, 4_000));
      const err = await produceUntilRefused(producer, output);
      expect(isAmbitError(err) && `${err.code} ${err.action}`).toBe('KAFKA_FATAL recreate');
    } finally {
      await producer.close();
    }
    expect(await readAll(conn(), output, { idleMs: 1500 })).toEqual([]);
  });

  it('after a failed delivery the transaction refuses records as abortable (not unknown); abort and a new one work', async () => {
    const doomed = uniqueName('doomed-out');
    const output = uniqueName('kept-out');
    await createTopic(conn(), doomed);
    await createTopic(conn(), output);
    const producer = await createTransactionalProducer(conn(), {
      transactionalId: uniqueName('tx'),
      extra: { 'message.timeout.ms': 1_000 }, // as a long pause would: queued records time out
    });
    try {
      await producer.init();
      await producer.begin();
      await producer.produce({ topic: doomed, key: 'k', value: Buffer.from('before') });
      await producer.flush();
      const admin = await createAdmin(conn());
      await admin.deleteTopics([doomed]).finally(() => admin.close());
      // Its next record cannot be delivered: the transaction can now only be aborted.
      await producer.produce({ topic: doomed, key: 'k', value: Buffer.from('undeliverable') });
      const err = await produceUntilRefused(producer, output);
      expect(isAmbitError(err) && `${err.code} ${err.action}`).toBe('KAFKA_TXN_ABORTABLE abort');
      expect(String(err)).toContain('Erroneous state');
      await producer.abort();
      await producer.begin();
      await producer.produce({ topic: output, key: 'k', value: Buffer.from('kept') });
      await producer.commit();
    } finally {
      await producer.close();
    }
    const out = await readAll(conn(), output, { expected: 1 });
    expect(out.map((r) => r.value?.toString())).toEqual(['kept']);
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
