/**
 * The exactly-once harness itself against the real broker (libs/testing verify.ts): reading
 * to the read_committed end across commit and abort markers, and steady production with
 * the offsets the broker gave.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createAdmin, createTransactionalProducer, partitionFor, type KafkaAdmin } from '@ambit/kafka';
import { produceSteadily, readTopicFully, testPlatform, uniqueName } from '@ambit/testing';

const { brokers } = testPlatform();
const admins: KafkaAdmin[] = [];

async function topic(partitions: number): Promise<string> {
  const admin = await createAdmin({ brokers });
  admins.push(admin);
  const name = uniqueName('harness');
  await admin.createTopics([{ name, partitions, replicationFactor: 1, configs: {} }]);
  return name;
}

afterAll(async () => {
  await Promise.all(admins.map((a) => a.close()));
});

describe('readTopicFully', () => {
  it('reads committed records to the end, over commit and abort markers, without waiting on an open transaction', async () => {
    const name = await topic(3);
    const p = await createTransactionalProducer({ brokers }, { transactionalId: uniqueName('harness-txn') });
    try {
      await p.init();
      const txn = async (keys: string[], commit: boolean) => {
        await p.begin();
        for (const key of keys) await p.produce({ topic: name, key, value: Buffer.from(`v-${key}`) });
        await p.flush();
        if (commit) await p.commit();
        else await p.abort();
      };
      await txn(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9'], true);
      await txn(['x0', 'x1', 'x2', 'x3', 'x4'], false);
      await txn(['b0', 'b1', 'b2', 'b3'], true);
      // Left open: its records are past the last stable offset and must not be waited for.
      await p.begin();
      for (const key of ['o0', 'o1', 'o2']) await p.produce({ topic: name, key, value: Buffer.from('open') });
      await p.flush();

      const started = Date.now();
      const records = await readTopicFully({ brokers, topic: name, timeoutMs: 30_000 });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(records.map((r) => r.key).sort()).toEqual([
        'a0',
        'a1',
        'a2',
        'a3',
        'a4',
        'a5',
        'a6',
        'a7',
        'a8',
        'a9',
        'b0',
        'b1',
        'b2',
        'b3',
      ]);
      for (let i = 1; i < records.length; i++) {
        const [a, b] = [records[i - 1]!, records[i]!];
        expect(a.partition < b.partition || (a.partition === b.partition && a.offset < b.offset)).toBe(true);
      }
      expect(records.every((r) => r.partition === partitionFor(r.key!, 3))).toBe(true);
      await p.abort();
    } finally {
      await p.close();
    }
  });

  it('returns nothing for an empty topic', async () => {
    expect(await readTopicFully({ brokers, topic: await topic(2) })).toEqual([]);
  });
});

describe('produceSteadily', () => {
  it('produces at the asked rate and reports where every record landed', async () => {
    const name = await topic(4);
    const keys = Array.from({ length: 37 }, (_, i) => `user-${i}`);
    const result = await produceSteadily({
      brokers,
      topic: name,
      ratePerSec: 400,
      durationMs: 2_000,
      keys,
      makeValue: (i, key) => Buffer.from(`${key}#${i}`),
    });
    expect(result.records).toHaveLength(800);
    expect(result.elapsedMs).toBeGreaterThan(1_800);
    expect(result.elapsedMs).toBeLessThan(6_000);
    expect(result.records.map((r) => r.i)).toEqual(Array.from({ length: 800 }, (_, i) => i));
    expect(result.records.every((r) => r.key === keys[r.i % keys.length] && r.partition === partitionFor(r.key, 4))).toBe(true);

    const read = await readTopicFully({ brokers, topic: name, isolation: 'read_uncommitted' });
    const where = new Map(read.map((r) => [`${r.partition}/${r.offset}`, r.value!.toString()]));
    expect(where.size).toBe(800);
    for (const r of result.records) expect(where.get(`${r.partition}/${r.offset}`)).toBe(r.value.toString());
  });
});
