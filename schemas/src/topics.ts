/**
 * The topics one namespace and environment need, from `schemas/topics.yaml`: the source of
 * truth for names, partition counts, cleanup policies, replication, per-environment configs
 * and value subjects, for platform topics and for each agent's internal topics alike.
 * Validated with errors naming the topic and field, returned frozen.
 */
import { AmbitError, namespaced } from '@ambit/core';
import { AVRO_DIR } from './schema-files.ts';
import {
  effectiveConfigs,
  failer,
  parseTopicsFile,
  readTopicsFile,
  TOPICS_FILE,
  type AgentDeclaration,
  type CleanupPolicy,
  type EnvironmentDeclaration,
  type Fail,
  type TopicDeclaration,
  type TopicsFile,
} from './topics-file.ts';

/**
 * One topic to create, structurally a `TopicSpec` of `@ambit/kafka` (so it can be passed
 * to `applyTopics` or `createTopics` as is) plus what the declaration says about keys and values.
 */
export interface DeclaredTopic {
  /** Full name, namespace included. */
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Every config to create the topic with, `cleanup.policy` included. */
  readonly configs: Readonly<Record<string, string>>;
  readonly cleanupPolicy: CleanupPolicy;
  /** What the (plain UTF-8 string) key is, e.g. `tenant`. */
  readonly key: string;
  /** TopicNameStrategy subject `<name>-value`, or null when no schema is registered for the topic. */
  readonly valueSubject: string | null;
  /** Record name of the value schema, e.g. `EffectRequest`. */
  readonly valueSchema: string | null;
  /** Schema file relative to `schemas/`, e.g. `avro/EffectRequest.avsc`. */
  readonly schemaFile: string | null;
  /** Headers the writer sets, name -> meaning (as documented in the file). */
  readonly headers: Readonly<Record<string, string>>;
  /** The name as declared, without namespace: `effects.requested`, `{agent}.journal`. */
  readonly declaredAs: string;
  /** Agent id, for per-agent topics. */
  readonly agent: string | null;
}

export interface LoadTopicsOptions {
  readonly namespace: string;
  /** An environment declared in the file, e.g. `local` or `production`. */
  readonly env: string;
  /** Agents to instantiate `agentTopics` for; defaults to the file's `agents`. */
  readonly agents?: readonly AgentDeclaration[];
  /** Where value schemas are looked up (default `schemas/avro`). */
  readonly avroDir?: string;
}

/** What the runtime knows about an agent when it creates the agent's internal topics. */
export interface AgentTopicsOptions {
  readonly namespace: string;
  /** An environment declared in the file, e.g. `local` or `production`. */
  readonly env: string;
  /** Agent id. */
  readonly agent: string;
  /** Every store that needs a changelog, internal ones (timers, progress) included. */
  readonly stores: readonly string[];
  /** The partition count of the agent's inputs (co-partitioning: invariant 1, docs/invariants.md). */
  readonly partitions: number;
}

/**
 * Loads and validates a topics file (default `schemas/topics.yaml`) for one namespace and
 * environment. Throws CONFIG_INVALID naming the file, topic and field at fault.
 */
export function loadTopics(options: LoadTopicsOptions): readonly DeclaredTopic[];
export function loadTopics(file: string | undefined, options: LoadTopicsOptions): readonly DeclaredTopic[];
export function loadTopics(a: string | undefined | LoadTopicsOptions, b?: LoadTopicsOptions): readonly DeclaredTopic[] {
  const [file, options] = typeof a === 'object' ? [TOPICS_FILE, a] : [a ?? TOPICS_FILE, b];
  if (!options) throw new AmbitError('CONFIG_INVALID', 'loadTopics: options { namespace, env } are required');
  return declaredTopics(readTopicsFile(file, options.avroDir ?? AVRO_DIR), options);
}

/** `loadTopics` on text already read; `source` names it in errors. */
export function parseTopics(text: string, options: LoadTopicsOptions, source = 'topics.yaml'): readonly DeclaredTopic[] {
  return declaredTopics(parseTopicsFile(text, source, options.avroDir ?? AVRO_DIR), options);
}

/**
 * One agent's internal topics (every `agentTopics` template: a changelog per store, the
 * journal, the inbox, the DLQ) in one environment: names, replication and configs as the
 * file declares them, partitions as given. Pure; `file` comes from `readTopicsFile()`.
 */
export function agentTopicSpecs(file: TopicsFile, options: AgentTopicsOptions): readonly DeclaredTopic[] {
  const fail = failer(file.source);
  const prefix = namespacePrefix(options.namespace);
  const env = environment(file, options.env, fail);
  if (!Number.isInteger(options.partitions) || options.partitions < 1) {
    fail(`agent ${options.agent}`, `partitions: expected a positive integer, got ${options.partitions}`);
  }
  return Object.freeze(instantiate(file, env, prefix, options.agent, options.stores, options.partitions, fail));
}

/** `agentTopicSpecs` over `schemas/topics.yaml`, read on every call. */
export function loadAgentTopics(options: AgentTopicsOptions): readonly DeclaredTopic[] {
  return agentTopicSpecs(readTopicsFile(), options);
}

/** Every topic of the file (platform topics, then each agent's) for one namespace and environment. */
export function declaredTopics(file: TopicsFile, options: LoadTopicsOptions): readonly DeclaredTopic[] {
  const fail = failer(file.source);
  const prefix = namespacePrefix(options.namespace);
  const env = environment(file, options.env, fail);
  const out: DeclaredTopic[] = [];
  const partitionsByDeclared = new Map<string, number>();

  for (const t of file.topics) {
    partitionsByDeclared.set(t.name, t.partitions!);
    out.push(build(t, prefix, t.name, env, t.partitions!, null, `topic ${t.name}`, fail));
  }

  const seenAgents = new Set<string>();
  for (const agent of options.agents ?? file.agents) {
    const where = `agent ${agent.name}`;
    if (seenAgents.has(agent.name)) fail(where, 'declared twice');
    seenAgents.add(agent.name);
    if (agent.inputs.length === 0) fail(where, 'inputs: an agent needs at least one input topic');
    const counts = agent.inputs.map((input) => {
      const n = partitionsByDeclared.get(input);
      if (n === undefined) fail(where, `inputs: "${input}" is not declared under topics`);
      return [input, n!] as const;
    });
    // Co-partitioning: one task = one partition number across inputs, inbox and changelogs.
    if (new Set(counts.map(([, n]) => n)).size > 1) {
      fail(where, `inputs must have equal partition counts (co-partitioning): ${counts.map(([t, n]) => `${t}=${n}`).join(', ')}`);
    }
    for (const t of instantiate(file, env, prefix, agent.name, agent.stores, counts[0]![1], fail)) {
      const declared = t.name.slice(prefix.length);
      if (partitionsByDeclared.has(declared)) fail(where, `topic ${declared} (from ${t.declaredAs}) is already declared`);
      partitionsByDeclared.set(declared, t.partitions);
      out.push(t);
    }
  }

  for (const [group, members] of Object.entries(file.copartition)) {
    const counts = members.map((m) => {
      const n = partitionsByDeclared.get(m);
      if (n === undefined) fail(`copartition.${group}`, `"${m}" is not a declared topic`);
      return `${m}=${n}`;
    });
    if (new Set(members.map((m) => partitionsByDeclared.get(m))).size > 1) {
      fail(`copartition.${group}`, `partition counts differ: ${counts.join(', ')}`);
    }
  }
  return Object.freeze(out);
}

function instantiate(
  file: TopicsFile,
  env: EnvironmentDeclaration,
  prefix: string,
  agent: string,
  stores: readonly string[],
  partitions: number,
  fail: Fail,
): DeclaredTopic[] {
  const where = `agent ${agent}`;
  if (!/^[a-zA-Z0-9_-]+$/.test(agent)) fail(where, 'name must be letters, digits, "_" or "-"');
  if (new Set(stores).size !== stores.length) fail(where, `stores: a store is named twice (${stores.join(', ')})`);
  const out: DeclaredTopic[] = [];
  for (const t of file.agentTopics) {
    for (const store of t.name.includes('{store}') ? stores : [null]) {
      if (store !== null && !/^[a-zA-Z0-9_-]+$/.test(store)) fail(where, `stores: invalid store name "${store}"`);
      const declared = t.name.replaceAll('{agent}', agent).replaceAll('{store}', store ?? '');
      out.push(build(t, prefix, declared, env, partitions, agent, `${where}, topic ${t.name}`, fail));
    }
  }
  return out;
}

function build(
  t: TopicDeclaration,
  prefix: string,
  declared: string,
  env: EnvironmentDeclaration,
  partitions: number,
  agent: string | null,
  where: string,
  fail: Fail,
): DeclaredTopic {
  const name = prefix + declared;
  if (!/^[a-zA-Z0-9._-]+$/.test(name) || name.length > 249) {
    fail(where, `"${name}" is not a valid Kafka topic name (letters, digits, '.', '_', '-', at most 249)`);
  }
  return Object.freeze({
    name,
    partitions,
    replicationFactor: env.replicationFactor,
    configs: Object.freeze(effectiveConfigs(env, t)),
    cleanupPolicy: t.cleanupPolicy,
    key: t.key,
    valueSubject: t.valueSchema === null ? null : `${name}-value`,
    valueSchema: t.valueSchema,
    schemaFile: t.schemaFile,
    headers: t.headers,
    declaredAs: t.name,
    agent,
  });
}

function namespacePrefix(namespace: string): string {
  try {
    return namespaced(namespace, '');
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `invalid namespace "${namespace}" (letters, digits, '.', '_', '-')`, { cause: e });
  }
}

function environment(file: TopicsFile, name: string, fail: Fail): EnvironmentDeclaration {
  const env = Object.hasOwn(file.environments, name) ? file.environments[name] : undefined;
  if (env === undefined) {
    fail('environments', `no environment "${name}" (declared: ${Object.keys(file.environments).join(', ') || 'none'})`);
  }
  return env!;
}
