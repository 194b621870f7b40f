import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { TOPICS_FILE } from './topics-file.ts';
import { loadTopics, parseTopics } from './topics.ts';

const PLATFORM = ['effects.requested', 'effects.results', 'escalations.commands', 'escalations', 'actions', 'decisions', 'policies'];

/** The message of the CONFIG_INVALID error `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isAmbitError(e, 'CONFIG_INVALID')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

const base = readFileSync(TOPICS_FILE, 'utf8');
const opts = { namespace: 'ns', env: 'local' };

describe('loadTopics (schemas/topics.yaml)', () => {
  it('declares the platform topics, the demo input and the demo agent topics under the namespace', () => {
    const names = loadTopics(opts).map((t) => t.name);
    for (const t of [...PLATFORM, 'content.submitted']) expect(names).toContain(`ns.${t}`);
    expect(names).toEqual(
      expect.arrayContaining(['ns.moderator.trends.changelog', 'ns.moderator.journal', 'ns.moderator.inbox', 'ns.moderator.dlq']),
    );
  });

  it('applies per-environment replication, min ISR and unclean election', () => {
    for (const [env, rf, isr] of [
      ['local', 1, '1'],
      ['production', 3, '2'],
    ] as const) {
      for (const t of loadTopics({ namespace: 'ns', env })) {
        expect(t.replicationFactor).toBe(rf);
        expect(t.configs['min.insync.replicas']).toBe(isr);
        expect(t.configs['unclean.leader.election.enable']).toBe('false');
        expect(t.configs['cleanup.policy']).toBe(t.cleanupPolicy);
      }
    }
  });

  it('uses TopicNameStrategy subjects and existing schema files', () => {
    const t = loadTopics(opts).find((x) => x.name === 'ns.effects.requested')!;
    expect(t).toMatchObject({
      valueSubject: 'ns.effects.requested-value',
      valueSchema: 'EffectRequest',
      schemaFile: 'avro/EffectRequest.avsc',
      key: 'tenant',
    });
    const changelog = loadTopics(opts).find((x) => x.name.endsWith('.changelog'))!;
    expect(changelog).toMatchObject({ cleanupPolicy: 'compact', valueSubject: null, agent: 'moderator' });
  });

  it('gives agent topics the partition count of their inputs and profile configs per environment', () => {
    const local = loadTopics(opts);
    const input = local.find((t) => t.name === 'ns.content.submitted')!;
    for (const t of local.filter((x) => x.agent === 'moderator')) expect(t.partitions).toBe(input.partitions);
    const journal = (env: string): string | undefined =>
      loadTopics({ namespace: 'ns', env }).find((t) => t.name === 'ns.moderator.journal')!.configs['retention.ms'];
    expect(Number(journal('production'))).toBeGreaterThan(Number(journal('local')));
  });

  it('instantiates agent templates for a given agent list', () => {
    const topics = loadTopics({ ...opts, agents: [{ name: 'triage', inputs: ['effects.results'], stores: ['a', 'b'] }] });
    const agentTopics = topics.filter((t) => t.agent !== null).map((t) => t.name);
    expect(agentTopics).toEqual([
      'ns.triage.a.changelog',
      'ns.triage.b.changelog',
      'ns.triage.journal',
      'ns.triage.inbox',
      'ns.triage.dlq',
    ]);
  });

  it('returns frozen specs', () => {
    const topics = loadTopics(opts);
    expect(Object.isFrozen(topics)).toBe(true);
    expect(Object.isFrozen(topics[0])).toBe(true);
    expect(Object.isFrozen(topics[0]!.configs)).toBe(true);
  });
});

describe('loadTopics errors name the topic and field', () => {
  const parse = (text: string, o: Parameters<typeof parseTopics>[1] = opts) => parseTopics(text, o, 'topics.yaml');

  it('bad partition count', () => {
    const msg = configError(() => parse(base.replace(/(name: effects\.results\n\s+partitions:) 6/, '$1 six')));
    expect(msg).toContain('topic effects.results: partitions');
    expect(msg).toContain('positive integer');
  });

  it('unknown field (typo)', () => {
    expect(configError(() => parse(base.replace('name: actions\n    partitions: 6', 'name: actions\n    partition: 6')))).toMatch(
      /topic actions: unknown field "partition"/,
    );
  });

  it('unknown cleanup policy', () => {
    expect(configError(() => parse(base.replace(/(name: decisions\n\s+partitions: 6\n\s+cleanupPolicy:) delete/, '$1 forever')))).toMatch(
      /topic decisions: cleanupPolicy: "forever"/,
    );
  });

  it('schema-framed keys', () => {
    expect(configError(() => parse(base.replace('key: { type: string, doc: tenant }', 'key: { type: avro, doc: tenant }')))).toMatch(
      /topic effects\.requested: key\.type: keys are plain UTF-8 strings/,
    );
  });

  it('missing value schema file', () => {
    expect(configError(() => parse(base.replace('value: EffectResult', 'value: NoSuchRecord')))).toMatch(
      /topic effects\.results: value: no schema avro\/NoSuchRecord\.avsc/,
    );
  });

  it('unknown environment, namespace, profile, duplicates, invalid YAML', () => {
    expect(configError(() => parse(base, { namespace: 'ns', env: 'staging' }))).toMatch(
      /no environment "staging" \(declared: local, production\)/,
    );
    expect(configError(() => parse(base, { namespace: 'bad ns!', env: 'local' }))).toMatch(/invalid namespace/);
    expect(configError(() => parse(base.replace('profile: journal', 'profile: nope')))).toMatch(/\{agent\}\.journal: profile: "nope"/);
    expect(configError(() => parse(base.replace('name: decisions', 'name: actions')))).toMatch(/topic actions: declared twice/);
    expect(configError(() => parse('topics: [\n'))).toMatch(/invalid YAML/);
  });

  it('co-partitioning violations', () => {
    const uneven = base.replace(/(name: effects\.results\n\s+partitions:) 6/, '$1 3');
    expect(configError(() => parse(uneven))).toMatch(/copartition\.gateway: partition counts differ: .*effects\.results=3/);
    const agents = [{ name: 'x', inputs: ['content.submitted', 'policies'], stores: [] }];
    expect(configError(() => parse(base, { ...opts, agents }))).toMatch(/agent x: inputs must have equal partition counts/);
    expect(configError(() => parse(base, { ...opts, agents: [{ name: 'x', inputs: ['nope'], stores: [] }] }))).toMatch(
      /agent x: inputs: "nope" is not declared/,
    );
  });

  it('cleanup.policy may only come from cleanupPolicy', () => {
    expect(
      configError(() =>
        parse(base.replace("      retention.ms: '2592000000'\n\n  - name: actions", '      cleanup.policy: compact\n\n  - name: actions')),
      ),
    ).toMatch(/topic escalations: configs: set cleanup\.policy through cleanupPolicy/);
  });
});
