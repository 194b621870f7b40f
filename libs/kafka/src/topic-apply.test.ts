import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import type { KafkaAdmin, TopicDescription, TopicSpec } from './admin.ts';
import { applyTopics, describeDrift, planTopics, topicDriftError } from './topic-apply.ts';

const spec = (name: string, partitions = 6, policy = 'delete', rf = 1): TopicSpec => ({
  name,
  partitions,
  replicationFactor: rf,
  configs: { 'cleanup.policy': policy, 'retention.ms': '1000' },
});

const described = (name: string, partitions = 6, policy = 'delete', rf = 1): TopicDescription => ({
  name,
  topicId: `id-${name}`,
  partitions,
  replicationFactor: rf,
  configs: { 'cleanup.policy': policy },
});

describe('planTopics', () => {
  it('creates missing topics and keeps matching ones', () => {
    const plan = planTopics([spec('a'), spec('b')], [described('a')]);
    expect(plan.create.map((t) => t.name)).toEqual(['b']);
    expect(plan.unchanged).toEqual(['a']);
    expect(plan.drift).toEqual([]);
  });

  it('reports partition, replication and cleanup-policy drift, never as unchanged', () => {
    const plan = planTopics(
      [spec('p', 6), spec('c', 6, 'compact'), spec('r', 6, 'delete', 3)],
      [described('p', 3), described('c', 6, 'delete'), described('r', 6, 'delete', 1)],
    );
    expect(plan.create).toEqual([]);
    expect(plan.unchanged).toEqual([]);
    expect(plan.drift).toEqual([
      { topic: 'p', field: 'partitions', desired: 6, actual: 3 },
      { topic: 'c', field: 'cleanup.policy', desired: 'compact', actual: 'delete' },
      { topic: 'r', field: 'replicationFactor', desired: 3, actual: 1 },
    ]);
  });

  it('reports every drifted field of one topic', () => {
    const plan = planTopics([spec('t', 6, 'compact')], [described('t', 2, 'delete')]);
    expect(plan.drift.map((d) => d.field)).toEqual(['partitions', 'cleanup.policy']);
  });

  it('treats cleanup policy lists as sets and ignores configs other than cleanup.policy', () => {
    const plan = planTopics(
      [{ ...spec('t', 6, 'compact,delete'), configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': '5' } }],
      [{ ...described('t', 6, 'delete,compact'), configs: { 'cleanup.policy': 'delete, compact', 'retention.ms': '9' } }],
    );
    expect(plan.drift).toEqual([]);
    expect(plan.unchanged).toEqual(['t']);
  });

  it('does not compare cleanup.policy when the declaration leaves it to the broker', () => {
    const plan = planTopics([{ name: 't', partitions: 1, replicationFactor: 1, configs: {} }], [described('t', 1, 'compact')]);
    expect(plan.unchanged).toEqual(['t']);
  });

  it('names topic and field in messages and errors', () => {
    const d = { topic: 'dev.actions', field: 'partitions', desired: 6, actual: 3 } as const;
    expect(describeDrift(d)).toBe('dev.actions: partitions is 3, declared 6');
    const e = topicDriftError([d]);
    expect(isAmbitError(e, 'KAFKA_TOPIC_DRIFT')).toBe(true);
    expect(e.message).toContain('dev.actions: partitions');
  });
});

describe('applyTopics', () => {
  function fakeAdmin(topics: TopicDescription[]): KafkaAdmin & { createdSpecs: TopicSpec[] } {
    const createdSpecs: TopicSpec[] = [];
    const admin = {
      createdSpecs,
      listTopics: async () => topics.map((t) => t.name).concat(['unrelated']),
      describeTopics: async (names: readonly string[], configNames?: readonly string[]) => {
        expect(configNames).toEqual(['cleanup.policy']);
        return names.map((n) => topics.find((t) => t.name === n)!);
      },
      createTopics: async (specs: readonly TopicSpec[]) => {
        createdSpecs.push(...specs);
        return specs.map((s) => s.name);
      },
    };
    return admin as unknown as KafkaAdmin & { createdSpecs: TopicSpec[] };
  }

  it('creates only missing topics and never touches drifted ones', async () => {
    const admin = fakeAdmin([described('same'), described('drifted', 2)]);
    const res = await applyTopics(admin, [spec('same'), spec('drifted'), spec('new')]);
    expect(res.created).toEqual(['new']);
    expect(res.unchanged).toEqual(['same']);
    expect(res.drift).toEqual([{ topic: 'drifted', field: 'partitions', desired: 6, actual: 2 }]);
    expect(admin.createdSpecs.map((s) => s.name)).toEqual(['new']);
  });

  it('rejects a declaration list with duplicate names', async () => {
    await expect(applyTopics(fakeAdmin([]), [spec('x'), spec('x')])).rejects.toMatchObject({ code: 'KAFKA_INVALID_CONFIG' });
  });
});
