/**
 * Loads `schemas/topics.yaml` into the topics one namespace and environment need: the
 * source of truth for names, partition counts, cleanup policies, per-environment configs
 * and value subjects. Parsed once, validated with errors naming the topic and field,
 * returned frozen.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { AmbitError, namespaced } from '@ambit/core';
import { AVRO_DIR, loadSchema, SCHEMAS_ROOT } from './schema-files.ts';

/** The default declarations file, `schemas/topics.yaml`. */
export const TOPICS_FILE = join(SCHEMAS_ROOT, 'topics.yaml');

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/**
 * One topic to create, structurally a `TopicSpec` of `@ambit/kafka` (so it can be passed
 * to `applyTopics` as is) plus what the declaration says about keys and values.
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
  /** TopicNameStrategy subject `<name>-value`, or null when the value schema is not ours to register. */
  readonly valueSubject: string | null;
  /** Record name of the value schema, e.g. `EffectRequest`. */
  readonly valueSchema: string | null;
  /** Schema file relative to `schemas/`, e.g. `avro/EffectRequest.avsc`. */
  readonly schemaFile: string | null;
  /** The name as declared, without namespace: `effects.requested`, `{agent}.journal`. */
  readonly declaredAs: string;
  /** Agent id, for per-agent topics. */
  readonly agent: string | null;
}

export interface AgentDeclaration {
  /** Agent id, used in its topic names. */
  readonly name: string;
  /** Input topics (names as declared, without namespace); the agent's topics get their partition count. */
  readonly inputs: readonly string[];
  /** State store names; one changelog each. */
  readonly stores: readonly string[];
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

/**
 * Loads and validates a topics file (default `schemas/topics.yaml`) for one namespace and
 * environment. Throws CONFIG_INVALID naming the file, topic and field at fault.
 */
export function loadTopics(options: LoadTopicsOptions): readonly DeclaredTopic[];
export function loadTopics(file: string | undefined, options: LoadTopicsOptions): readonly DeclaredTopic[];
export function loadTopics(a: string | undefined | LoadTopicsOptions, b?: LoadTopicsOptions): readonly DeclaredTopic[] {
  const [file, options] = typeof a === 'object' ? [TOPICS_FILE, a] : [a ?? TOPICS_FILE, b];
  if (!options) throw new AmbitError('CONFIG_INVALID', 'loadTopics: options { namespace, env } are required');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `cannot read topics file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseTopics(text, options, file);
}

/** `loadTopics` on text already read; `source` names it in errors. */
export function parseTopics(text: string, options: LoadTopicsOptions, source = 'topics.yaml'): readonly DeclaredTopic[] {
  const fail = (where: string, msg: string): never => {
    throw new AmbitError('CONFIG_INVALID', `${source}: ${where}: ${msg}`, { details: { file: source, at: where } });
  };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new AmbitError('CONFIG_INVALID', `${source}: invalid YAML: ${err.message}`, { cause: err, details: { file: source } });
  }
  const root = asMap(doc.toJS(), 'document root', fail);
  only(root, ['environments', 'topics', 'agentTopics', 'agents', 'copartition'], 'document root', fail);

  // Namespace first: every name below depends on it.
  let prefix: string;
  try {
    prefix = namespaced(options.namespace, '');
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `invalid namespace "${options.namespace}" (letters, digits, '.', '_', '-')`, { cause: e });
  }

  const envs = asMap(root.environments, 'environments', fail);
  const envRaw = envs[options.env];
  if (envRaw === undefined) {
    fail('environments', `no environment "${options.env}" (declared: ${Object.keys(envs).join(', ') || 'none'})`);
  }
  const env = parseEnvironment(envRaw, `environments.${options.env}`, fail);

  const avroDir = options.avroDir ?? AVRO_DIR;
  const out: DeclaredTopic[] = [];
  const partitionsByDeclared = new Map<string, number>();

  const topics = asList(root.topics, 'topics', fail);
  topics.forEach((raw, i) => {
    const t = parseTopic(raw, `topics[${i}]`, false, fail);
    const where = `topic ${t.name}`;
    if (t.name.includes('{')) fail(where, 'placeholders like {agent} belong in agentTopics');
    if (partitionsByDeclared.has(t.name)) fail(where, 'declared twice');
    partitionsByDeclared.set(t.name, t.partitions!);
    out.push(build(t, t.name, t.partitions!, null, where));
  });

  // Agents: the file's list unless the caller gives one.
  const agentTemplates = root.agentTopics === undefined ? [] : asList(root.agentTopics, 'agentTopics', fail);
  const templates = agentTemplates.map((raw, i) => parseTopic(raw, `agentTopics[${i}]`, true, fail));
  const agents =
    options.agents ?? (root.agents === undefined ? [] : asList(root.agents, 'agents', fail).map((a, i) => parseAgent(a, i, fail)));
  const seenAgents = new Set<string>();
  for (const agent of agents) {
    const where = `agent ${agent.name}`;
    if (!/^[a-zA-Z0-9_-]+$/.test(agent.name)) fail(where, 'name must be letters, digits, "_" or "-"');
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
    const partitions = counts[0]![1];
    for (const t of templates) {
      const stores = t.name.includes('{store}') ? agent.stores : [null];
      for (const store of stores) {
        if (store !== null && !/^[a-zA-Z0-9_-]+$/.test(store)) fail(where, `stores: invalid store name "${store}"`);
        const declared = t.name.replaceAll('{agent}', agent.name).replaceAll('{store}', store ?? '');
        if (partitionsByDeclared.has(declared)) fail(where, `topic ${declared} (from ${t.name}) is already declared`);
        partitionsByDeclared.set(declared, partitions);
        out.push(build(t, declared, partitions, agent.name, `${where}, topic ${t.name}`));
      }
    }
  }

  if (root.copartition !== undefined) {
    for (const [group, raw] of Object.entries(asMap(root.copartition, 'copartition', fail))) {
      const members = asList(raw, `copartition.${group}`, fail).map((m) => asString(m, `copartition.${group}`, fail));
      const counts = members.map((m) => {
        const n = partitionsByDeclared.get(m);
        if (n === undefined) fail(`copartition.${group}`, `"${m}" is not a declared topic`);
        return `${m}=${n}`;
      });
      if (new Set(members.map((m) => partitionsByDeclared.get(m))).size > 1) {
        fail(`copartition.${group}`, `partition counts differ: ${counts.join(', ')}`);
      }
    }
  }

  return Object.freeze(out);

  function build(t: ParsedTopic, declared: string, partitions: number, agent: string | null, where: string): DeclaredTopic {
    const name = prefix + declared;
    if (!/^[a-zA-Z0-9._-]+$/.test(name) || name.length > 249) {
      fail(where, `"${name}" is not a valid Kafka topic name (letters, digits, '.', '_', '-', at most 249)`);
    }
    const profile = t.profile === null ? {} : env.profiles[t.profile];
    if (profile === undefined) {
      fail(where, `profile: "${t.profile}" is not declared in environments.${options.env}.profiles`);
    }
    const configs = { ...env.configs, ...t.configs, ...profile, 'cleanup.policy': t.cleanupPolicy };
    let valueSchema: string | null = null;
    let schemaFile: string | null = null;
    if (t.value !== null) {
      try {
        const s = loadSchema(t.value, avroDir);
        valueSchema = s.name;
        schemaFile = s.file;
      } catch (e) {
        fail(where, `value: ${(e as Error).message}`);
      }
    }
    return Object.freeze({
      name,
      partitions,
      replicationFactor: env.replicationFactor,
      configs: Object.freeze(configs),
      cleanupPolicy: t.cleanupPolicy,
      key: t.key,
      valueSubject: valueSchema === null ? null : `${name}-value`,
      valueSchema,
      schemaFile,
      declaredAs: t.name,
      agent,
    });
  }
}

type Fail = (where: string, msg: string) => never;

interface ParsedEnvironment {
  replicationFactor: number;
  configs: Record<string, string>;
  profiles: Record<string, Record<string, string>>;
}

interface ParsedTopic {
  name: string;
  partitions: number | null;
  cleanupPolicy: CleanupPolicy;
  key: string;
  value: string | null;
  configs: Record<string, string>;
  profile: string | null;
}

const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

function parseEnvironment(raw: unknown, where: string, fail: Fail): ParsedEnvironment {
  const m = asMap(raw, where, fail);
  only(m, ['replicationFactor', 'configs', 'profiles'], where, fail);
  const noCleanup = (configs: Record<string, string>, at: string): Record<string, string> => {
    if ('cleanup.policy' in configs) fail(at, 'cleanup.policy is fixed per topic (cleanupPolicy), not per environment');
    return configs;
  };
  const profiles: Record<string, Record<string, string>> = {};
  if (m.profiles !== undefined) {
    for (const [name, p] of Object.entries(asMap(m.profiles, `${where}.profiles`, fail))) {
      profiles[name] = noCleanup(parseConfigs(p, `${where}.profiles.${name}`, fail), `${where}.profiles.${name}`);
    }
  }
  return {
    replicationFactor: positiveInt(m.replicationFactor, `${where}.replicationFactor`, fail),
    configs: m.configs === undefined ? {} : noCleanup(parseConfigs(m.configs, `${where}.configs`, fail), `${where}.configs`),
    profiles,
  };
}

function parseTopic(raw: unknown, index: string, template: boolean, fail: Fail): ParsedTopic {
  const m = asMap(raw, index, fail);
  const name = asString(m.name, `${index}.name`, fail);
  const where = `${template ? 'agentTopics' : 'topic'} ${name}`;
  only(
    m,
    template
      ? ['name', 'cleanupPolicy', 'key', 'value', 'configs', 'profile']
      : ['name', 'partitions', 'cleanupPolicy', 'key', 'value', 'configs', 'profile'],
    where,
    fail,
  );
  if (template && !name.includes('{agent}')) fail(where, 'name: an agent topic template must contain {agent}');
  const cleanup = asString(m.cleanupPolicy, `${where}: cleanupPolicy`, fail);
  if (!(CLEANUP_POLICIES as readonly string[]).includes(cleanup)) {
    fail(where, `cleanupPolicy: "${cleanup}" is not one of ${CLEANUP_POLICIES.join(', ')}`);
  }
  const key = asMap(m.key, `${where}: key`, fail);
  only(key, ['type', 'doc'], `${where}: key`, fail);
  if (key.type !== 'string') {
    fail(
      where,
      `key.type: keys are plain UTF-8 strings, never schema-framed (so a schema change cannot move a key to another partition); got ${JSON.stringify(key.type)}`,
    );
  }
  if (!('value' in m)) fail(where, 'value: required (a schema name, or null when the value schema is registered elsewhere)');
  const configs = m.configs === undefined ? {} : parseConfigs(m.configs, `${where}: configs`, fail);
  if ('cleanup.policy' in configs) fail(where, 'configs: set cleanup.policy through cleanupPolicy');
  return {
    name,
    partitions: template ? null : positiveInt(m.partitions, `${where}: partitions`, fail),
    cleanupPolicy: cleanup as CleanupPolicy,
    key: asString(key.doc, `${where}: key.doc`, fail),
    value: m.value === null ? null : asString(m.value, `${where}: value`, fail),
    configs,
    profile: m.profile === undefined ? null : asString(m.profile, `${where}: profile`, fail),
  };
}

function parseAgent(raw: unknown, i: number, fail: Fail): AgentDeclaration {
  const m = asMap(raw, `agents[${i}]`, fail);
  const name = asString(m.name, `agents[${i}].name`, fail);
  const where = `agent ${name}`;
  only(m, ['name', 'inputs', 'stores'], where, fail);
  return {
    name,
    inputs: asList(m.inputs, `${where}: inputs`, fail).map((x) => asString(x, `${where}: inputs`, fail)),
    stores: m.stores === undefined ? [] : asList(m.stores, `${where}: stores`, fail).map((x) => asString(x, `${where}: stores`, fail)),
  };
}

function parseConfigs(raw: unknown, where: string, fail: Fail): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(raw, where, fail))) {
    // YAML reads 1 and false as numbers and booleans; Kafka wants strings. Nested values are mistakes.
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else fail(where, `${k}: expected a string, number or boolean, got ${describe(v)}`);
  }
  return out;
}

function asMap(v: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, `expected a mapping, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function asList(v: unknown, where: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) fail(where, `expected a list, got ${describe(v)}`);
  return v as unknown[];
}

function asString(v: unknown, where: string, fail: Fail): string {
  if (typeof v !== 'string' || v.length === 0) fail(where, `expected a non-empty string, got ${describe(v)}`);
  return v as string;
}

function positiveInt(v: unknown, where: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(where, `expected a positive integer, got ${describe(v)}`);
  return v as number;
}

function only(m: Record<string, unknown>, allowed: readonly string[], where: string, fail: Fail): void {
  for (const k of Object.keys(m)) {
    if (!allowed.includes(k)) fail(where, `unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
