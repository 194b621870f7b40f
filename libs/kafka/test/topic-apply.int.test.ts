import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { applyTopics, createAdmin, type KafkaAdmin, type TopicSpec } from '../src/index.ts';

/** Retries until `fn` stops throwing: metadata of a just created or deleted topic takes a moment to settle. */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Deletes and recreates a topic with another shape (what drift looks like in the wild). */
async function recreate(admin: KafkaAdmin, spec: TopicSpec): Promise<void> {
  await admin.deleteTopics([spec.name]);
  await eventually(async () => expect(await admin.listTopics()).not.toContain(spec.name));
  await eventually(async () => {
    await admin.createTopics([spec]);
    const [d] = await admin.describeTopics([spec.name], ['cleanup.policy']);
    expect(d).toMatchObject({ partitions: spec.partitions, configs: { 'cleanup.policy': spec.configs['cleanup.policy'] } });
  });
}

describe('applyTopics against a real broker', () => {
  const ns = uniqueName('topic-apply');
  let admin: KafkaAdmin;
  const events: TopicSpec = {
    name: `${ns}.events`,
    partitions: 3,
    replicationFactor: 1,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': '3600000', 'min.insync.replicas': '1' },
  };
  const changelog: TopicSpec = {
    name: `${ns}.store.changelog`,
    partitions: 3,
    replicationFactor: 1,
    configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1' },
  };

  beforeAll(async () => {
    admin = await createAdmin({ brokers: testPlatform().brokers });
  });

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((n) => n.startsWith(`${ns}.`));
    if (mine.length > 0) await admin.deleteTopics(mine);
    await admin.close();
  });

  it('creates missing topics with their configs, then changes nothing', async () => {
    const first = await applyTopics(admin, [events, changelog]);
    expect(first).toEqual({ created: [events.name, changelog.name], unchanged: [], drift: [] });

    const described = await eventually(() => admin.describeTopics([events.name, changelog.name], ['cleanup.policy', 'retention.ms']));
    expect(described.map((d) => [d.name, d.partitions, d.replicationFactor, d.configs['cleanup.policy']])).toEqual([
      [events.name, 3, 1, 'delete'],
      [changelog.name, 3, 1, 'compact'],
    ]);
    expect(described[0]!.configs['retention.ms']).toBe('3600000');

    const second = await eventually(async () => {
      const r = await applyTopics(admin, [events, changelog]);
      expect(r.unchanged).toHaveLength(2);
      return r;
    });
    expect(second).toEqual({ created: [], unchanged: [events.name, changelog.name], drift: [] });
  });

  it('reports partition and cleanup-policy drift and never alters the topic', async () => {
    await recreate(admin, { ...events, partitions: 2, configs: { 'cleanup.policy': 'compact' } });

    const res = await applyTopics(admin, [events, changelog]);
    expect(res.created).toEqual([]);
    expect(res.unchanged).toEqual([changelog.name]);
    expect(res.drift).toEqual([
      { topic: events.name, field: 'partitions', desired: 3, actual: 2 },
      { topic: events.name, field: 'cleanup.policy', desired: 'delete', actual: 'compact' },
    ]);
    const [after] = await admin.describeTopics([events.name], ['cleanup.policy']);
    expect(after).toMatchObject({ partitions: 2, configs: { 'cleanup.policy': 'compact' } });
  });
});
