import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changelogTopic, DlqHeaders, dlqTopic, Headers, inboxTopic, isAmbitError, journalTopic } from '@ambit/core';
import { checkTopicConfig } from './topic-configs.ts';
import { parseTopicsFile, readTopicsFile, TOPICS_FILE } from './topics-file.ts';
import { agentTopicSpecs, loadAgentTopics, loadTopics, type AgentTopicsOptions, type DeclaredTopic } from './topics.ts';

const file = readTopicsFile();
const opts = (env: string): AgentTopicsOptions => ({
  namespace: 'ns',
  env,
  agent: 'triage',
  stores: ['trends', 'ambit-timers', 'ambit-progress'],
  partitions: 12,
});
const DAY_MS = 86_400_000;

function byKind(specs: readonly DeclaredTopic[]) {
  const one = (name: string) => specs.find((t) => t.name === name)!;
  return {
    changelogs: specs.filter((t) => t.name.endsWith('.changelog')),
    journal: one(journalTopic('ns', 'triage')),
    inbox: one(inboxTopic('ns', 'triage')),
    dlq: one(dlqTopic('ns', 'triage')),
  };
}

describe('agentTopicSpecs', () => {
  it("names every internal topic as @ambit/core's naming helpers do, once each, with the given partitions", () => {
    const specs = agentTopicSpecs(file, opts('local'));
    expect(specs.map((t) => t.name)).toEqual([
      changelogTopic('ns', 'triage', 'trends'),
      changelogTopic('ns', 'triage', 'ambit-timers'),
      changelogTopic('ns', 'triage', 'ambit-progress'),
      journalTopic('ns', 'triage'),
      inboxTopic('ns', 'triage'),
      dlqTopic('ns', 'triage'),
    ]);
    expect(specs.map((t) => t.partitions)).toEqual([12, 12, 12, 12, 12, 12]);
    expect(specs.every((t) => t.agent === 'triage')).toBe(true);
  });

  it('production: replication factor 3, min.insync.replicas 2, no unclean election', () => {
    for (const t of agentTopicSpecs(file, opts('production'))) {
      expect([t.name, t.replicationFactor]).toEqual([t.name, 3]);
      expect(t.configs).toMatchObject({ 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' });
    }
  });

  it('local: replication factor 1, min.insync.replicas 1', () => {
    for (const t of agentTopicSpecs(file, opts('local'))) {
      expect(t.replicationFactor).toBe(1);
      expect(t.configs).toMatchObject({ 'min.insync.replicas': '1', 'unclean.leader.election.enable': 'false' });
    }
  });

  it('every config is a string the broker accepts, in every environment', () => {
    for (const env of Object.keys(file.environments)) {
      for (const t of agentTopicSpecs(file, opts(env))) {
        for (const [k, v] of Object.entries(t.configs)) {
          expect(typeof v).toBe('string');
          expect([t.name, k, checkTopicConfig(k, v)]).toEqual([t.name, k, null]);
        }
      }
    }
  });

  it('changelogs are compacted and keep tombstones a day; journal, inbox and DLQ are deleted by time', () => {
    for (const env of Object.keys(file.environments)) {
      const { changelogs, journal, inbox, dlq } = byKind(agentTopicSpecs(file, opts(env)));
      expect(changelogs).toHaveLength(3);
      for (const c of changelogs) {
        expect(c.configs['cleanup.policy']).toBe('compact');
        // The runtime wipes a store whose checkpoint is older than this (tombstones may be gone).
        expect(Number(c.configs['delete.retention.ms'])).toBeGreaterThanOrEqual(DAY_MS);
        expect(c.configs['retention.ms']).toBeUndefined();
      }
      for (const t of [journal, inbox, dlq]) expect(t.configs['cleanup.policy']).toBe('delete');
      // Replay serves steps from the journal: it must outlive a week of suspension.
      expect(Number(journal.configs['retention.ms'])).toBeGreaterThanOrEqual(7 * DAY_MS);
      expect(Number(inbox.configs['retention.ms'])).toBeGreaterThanOrEqual(7 * DAY_MS);
      expect(Number(dlq.configs['retention.ms'])).toBeGreaterThanOrEqual(7 * DAY_MS);
    }
  });

  it('the DLQ declares no value schema and documents exactly the headers the runtime adds', () => {
    const { dlq, journal, inbox } = byKind(agentTopicSpecs(file, opts('local')));
    expect(dlq).toMatchObject({ valueSchema: null, valueSubject: null, schemaFile: null });
    expect(Object.keys(dlq.headers).sort()).toEqual([...Object.values(Headers), ...Object.values(DlqHeaders)].sort());
    expect(journal.valueSubject).toBe('ns.triage.journal-value');
    expect(inbox.valueSubject).toBe('ns.triage.inbox-value');
  });

  it("gives the same topics as `ambit topics apply` (loadTopics) for the file's own agent", () => {
    for (const env of Object.keys(file.environments)) {
      const applied = loadTopics({ namespace: 'ns', env }).filter((t) => t.agent === 'moderator');
      const input = loadTopics({ namespace: 'ns', env }).find((t) => t.name === 'ns.content.submitted')!;
      const created = agentTopicSpecs(file, { namespace: 'ns', env, agent: 'moderator', stores: ['trends'], partitions: input.partitions });
      expect(created).toEqual(applied);
    }
  });

  it('loadAgentTopics reads schemas/topics.yaml and returns the same frozen specs', () => {
    const loaded = loadAgentTopics(opts('production'));
    expect(loaded).toEqual(agentTopicSpecs(file, opts('production')));
    expect(Object.isFrozen(loaded)).toBe(true);
    expect(Object.isFrozen(loaded[0]!.configs)).toBe(true);
  });

  it('refuses an unknown environment, a bad namespace, agent, store or partition count', () => {
    const refused = (o: Partial<AgentTopicsOptions>): string => {
      try {
        agentTopicSpecs(file, { ...opts('local'), ...o });
      } catch (e) {
        expect(isAmbitError(e, 'CONFIG_INVALID')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('expected CONFIG_INVALID');
    };
    expect(refused({ env: 'test' })).toMatch(/no environment "test" \(declared: local, production\)/);
    expect(refused({ namespace: 'bad ns' })).toMatch(/invalid namespace/);
    expect(refused({ agent: 'a.b' })).toMatch(/agent a\.b: name must be/);
    expect(refused({ stores: ['x y'] })).toMatch(/invalid store name "x y"/);
    expect(refused({ stores: ['s', 's'] })).toMatch(/a store is named twice/);
    expect(refused({ partitions: 0 })).toMatch(/partitions: expected a positive integer/);
  });
});

describe('topics file checks configs for every environment', () => {
  const base = readFileSync(TOPICS_FILE, 'utf8');
  const refused = (text: string): string => {
    try {
      parseTopicsFile(text);
    } catch (e) {
      expect(isAmbitError(e, 'CONFIG_INVALID')).toBe(true);
      return (e as Error).message;
    }
    throw new Error('expected CONFIG_INVALID');
  };

  it('a config value the broker would refuse', () => {
    expect(refused(base.replace("retention.ms: '604800000' # 7 days", "retention.ms: '7d'"))).toMatch(
      /environments\.local\.profiles\.journal: retention\.ms: "7d": expected an integer >= -1/,
    );
    expect(refused(base.replace("min.cleanable.dirty.ratio: '0.5'", "min.cleanable.dirty.ratio: '5'"))).toMatch(
      /min\.cleanable\.dirty\.ratio: "5": expected a decimal between 0 and 1/,
    );
  });

  it('an unknown config name (a typo)', () => {
    expect(refused(base.replace(/(name: '\{agent\}\.dlq'[\s\S]*?)retention\.ms/, '$1retention.m'))).toMatch(
      /agentTopics \{agent\}\.dlq: configs: retention\.m: not a topic config this file may set/,
    );
  });

  it('min.insync.replicas above the replication factor (acks=all writes would fail)', () => {
    expect(refused(base.replace('replicationFactor: 3', 'replicationFactor: 1'))).toMatch(
      /min\.insync\.replicas 2 exceeds environments\.production\.replicationFactor 1/,
    );
  });

  it('a profile missing in one environment only', () => {
    // The last `inbox:` profile is production's: rename it there only.
    const at = base.lastIndexOf('\n      inbox:\n');
    expect(refused(`${base.slice(0, at)}\n      inboxes:\n${base.slice(at + '\n      inbox:\n'.length)}`)).toMatch(
      /agentTopics \{agent\}\.inbox: profile: "inbox" is not declared in environments\.production\.profiles/,
    );
  });
});
