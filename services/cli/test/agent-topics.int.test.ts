/**
 * An agent's internal topics as schemas/topics.yaml declares them (`agentTopicSpecs`, what
 * the runtime creates) arrive on the real broker with every declared config, and
 * `ambit topics apply` then finds nothing to change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { createAdmin, planTopics, type KafkaAdmin } from '@ambit/kafka';
import { agentTopicSpecs, readTopicsFile } from '@ambit/schemas';

describe('agent internal topics from schemas/topics.yaml on the broker', () => {
  const ns = uniqueName('agent-topics');
  const specs = agentTopicSpecs(readTopicsFile(), {
    namespace: ns,
    env: 'local',
    agent: 'triage',
    stores: ['trends', 'ambit-timers', 'ambit-progress'],
    partitions: 3,
  });
  let admin: KafkaAdmin;

  beforeAll(async () => {
    admin = await createAdmin({ brokers: testPlatform().brokers });
  });

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((n) => n.startsWith(`${ns}.`));
    if (mine.length > 0) await admin.deleteTopics(mine);
    await admin.close();
  });

  it('creates every topic with its partitions, replication and configs, and reports no drift afterwards', async () => {
    expect(await admin.createTopics(specs)).toEqual(specs.map((t) => t.name));
    const configNames = [...new Set(specs.flatMap((t) => Object.keys(t.configs)))];
    const described = await eventually(() =>
      admin.describeTopics(
        specs.map((t) => t.name),
        configNames,
      ),
    );
    expect(described.map((d) => d.name)).toEqual(specs.map((t) => t.name));
    for (const [i, d] of described.entries()) {
      const want = specs[i]!;
      expect([d.name, d.partitions, d.replicationFactor]).toEqual([want.name, 3, 1]);
      // Every declared config as the broker reports it back (the value it stores, not a default).
      const got = Object.fromEntries(Object.keys(want.configs).map((k) => [k, d.configs[k]]));
      expect([d.name, got]).toEqual([d.name, want.configs]);
    }
    expect(planTopics(specs, described)).toEqual({ create: [], drift: [], unchanged: specs.map((t) => t.name) });
    // Created once: a second call (another host starting) creates nothing.
    expect(await admin.createTopics(specs)).toEqual([]);
  });
});

async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
