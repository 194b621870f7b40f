/**
 * `schemas/topics.yaml` parsed and checked as a whole, before any namespace, environment or
 * agent is chosen: structure, schema files, config values, and every environment's
 * effective configs for every topic and template. What is left to check once a namespace
 * and agents are known (names, partition counts, co-partitioning) is done in topics.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { AmbitError } from '@ambit/core';
import { AVRO_DIR, loadSchema, SCHEMAS_ROOT } from './schema-files.ts';
import { checkTopicConfig } from './topic-configs.ts';

/** The default declarations file, `schemas/topics.yaml`. */
export const TOPICS_FILE = join(SCHEMAS_ROOT, 'topics.yaml');

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface AgentDeclaration {
  /** Agent id, used in its topic names. */
  readonly name: string;
  /** Input topics (names as declared, without namespace); the agent's topics get their partition count. */
  readonly inputs: readonly string[];
  /** State store names; one changelog each. */
  readonly stores: readonly string[];
}

export interface EnvironmentDeclaration {
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly profiles: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A topic, or a per-agent template (`{agent}`, `{store}`), as declared. */
export interface TopicDeclaration {
  readonly name: string;
  /** Null for templates: an agent's topics take its partition count. */
  readonly partitions: number | null;
  readonly cleanupPolicy: CleanupPolicy;
  readonly key: string;
  /** Record name of the value schema (file checked), or null when not registered here. */
  readonly valueSchema: string | null;
  readonly schemaFile: string | null;
  readonly configs: Readonly<Record<string, string>>;
  readonly profile: string | null;
  /** Headers the writer sets, name -> meaning (documentation, checked against @ambit/core by tests). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface TopicsFile {
  /** Names the file in errors. */
  readonly source: string;
  readonly environments: Readonly<Record<string, EnvironmentDeclaration>>;
  readonly topics: readonly TopicDeclaration[];
  readonly agentTopics: readonly TopicDeclaration[];
  readonly agents: readonly AgentDeclaration[];
  readonly copartition: Readonly<Record<string, readonly string[]>>;
}

export type Fail = (where: string, msg: string) => never;

/** CONFIG_INVALID naming the file, the place and what is wrong. */
export function failer(source: string): Fail {
  return (where, msg) => {
    throw new AmbitError('CONFIG_INVALID', `${source}: ${where}: ${msg}`, { details: { file: source, at: where } });
  };
}

/**
 * Configs a topic is created with in one environment, later wins: environment `configs` <
 * topic `configs` < the environment's profile named by the topic; `cleanup.policy` last.
 */
export function effectiveConfigs(env: EnvironmentDeclaration, t: TopicDeclaration): Record<string, string> {
  const profile = t.profile === null ? {} : (env.profiles[t.profile] ?? {});
  return { ...env.configs, ...t.configs, ...profile, 'cleanup.policy': t.cleanupPolicy };
}

/** Reads and checks a topics file (default `schemas/topics.yaml`). Throws CONFIG_INVALID. */
export function readTopicsFile(file: string = TOPICS_FILE, avroDir: string = AVRO_DIR): TopicsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `cannot read topics file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseTopicsFile(text, file, avroDir);
}

/** `readTopicsFile` on text already read; `source` names it in errors. Returned frozen. */
export function parseTopicsFile(text: string, source = 'topics.yaml', avroDir: string = AVRO_DIR): TopicsFile {
  const fail = failer(source);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new AmbitError('CONFIG_INVALID', `${source}: invalid YAML: ${err.message}`, { cause: err, details: { file: source } });
  }
  const root = asMap(doc.toJS(), 'document root', fail);
  only(root, ['environments', 'topics', 'agentTopics', 'agents', 'copartition'], 'document root', fail);

  const environments: Record<string, EnvironmentDeclaration> = {};
  for (const [name, raw] of Object.entries(asMap(root.environments, 'environments', fail))) {
    environments[name] = parseEnvironment(raw, `environments.${name}`, fail);
  }

  const topics = asList(root.topics, 'topics', fail).map((raw, i) => parseTopic(raw, `topics[${i}]`, false, avroDir, fail));
  const seen = new Set<string>();
  for (const t of topics) {
    if (t.name.includes('{')) fail(`topic ${t.name}`, 'placeholders like {agent} belong in agentTopics');
    if (seen.has(t.name)) fail(`topic ${t.name}`, 'declared twice');
    seen.add(t.name);
  }
  const agentTopics =
    root.agentTopics === undefined
      ? []
      : asList(root.agentTopics, 'agentTopics', fail).map((raw, i) => parseTopic(raw, `agentTopics[${i}]`, true, avroDir, fail));

  // Every environment must be able to create every topic: a production-only mistake fails on a laptop too.
  for (const [envName, env] of Object.entries(environments)) {
    for (const t of [...topics, ...agentTopics]) {
      const where = `${t.partitions === null ? 'agentTopics' : 'topic'} ${t.name}`;
      if (t.profile !== null && env.profiles[t.profile] === undefined) {
        fail(where, `profile: "${t.profile}" is not declared in environments.${envName}.profiles`);
      }
      const configs = effectiveConfigs(env, t);
      const isr = Number(configs['min.insync.replicas'] ?? '1');
      if (isr > env.replicationFactor) {
        // acks=all writes (every transactional write) would fail with NOT_ENOUGH_REPLICAS.
        fail(where, `min.insync.replicas ${isr} exceeds environments.${envName}.replicationFactor ${env.replicationFactor}`);
      }
    }
  }

  return deepFreeze({
    source,
    environments,
    topics,
    agentTopics,
    agents: root.agents === undefined ? [] : asList(root.agents, 'agents', fail).map((a, i) => parseAgent(a, i, fail)),
    copartition: Object.fromEntries(
      Object.entries(root.copartition === undefined ? {} : asMap(root.copartition, 'copartition', fail)).map(([group, raw]) => [
        group,
        asList(raw, `copartition.${group}`, fail).map((m) => asString(m, `copartition.${group}`, fail)),
      ]),
    ),
  });
}

const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

function parseEnvironment(raw: unknown, where: string, fail: Fail): EnvironmentDeclaration {
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

function parseTopic(raw: unknown, index: string, template: boolean, avroDir: string, fail: Fail): TopicDeclaration {
  const m = asMap(raw, index, fail);
  const name = asString(m.name, `${index}.name`, fail);
  const where = `${template ? 'agentTopics' : 'topic'} ${name}`;
  const fields = ['name', 'cleanupPolicy', 'key', 'value', 'configs', 'profile', 'headers'];
  only(m, template ? fields : [...fields, 'partitions'], where, fail);
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
  if (!('value' in m)) fail(where, 'value: required (a schema name, or null when no schema is registered for the topic)');
  let valueSchema: string | null = null;
  let schemaFile: string | null = null;
  if (m.value !== null) {
    try {
      const s = loadSchema(asString(m.value, `${where}: value`, fail), avroDir);
      valueSchema = s.name;
      schemaFile = s.file;
    } catch (e) {
      fail(where, `value: ${(e as Error).message}`);
    }
  }
  const configs = m.configs === undefined ? {} : parseConfigs(m.configs, `${where}: configs`, fail);
  if ('cleanup.policy' in configs) fail(where, 'configs: set cleanup.policy through cleanupPolicy');
  const headers: Record<string, string> = {};
  if (m.headers !== undefined) {
    for (const [h, doc] of Object.entries(asMap(m.headers, `${where}: headers`, fail))) {
      headers[h] = asString(doc, `${where}: headers.${h}`, fail);
    }
  }
  return {
    name,
    partitions: template ? null : positiveInt(m.partitions, `${where}: partitions`, fail),
    cleanupPolicy: cleanup as CleanupPolicy,
    key: asString(key.doc, `${where}: key.doc`, fail),
    valueSchema,
    schemaFile,
    configs,
    profile: m.profile === undefined ? null : asString(m.profile, `${where}: profile`, fail),
    headers,
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
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      fail(where, `${k}: expected a string, number or boolean, got ${describe(v)}`);
    }
    out[k] = String(v);
    const why = checkTopicConfig(k, out[k]);
    if (why !== null) fail(where, `${k}: ${why}`);
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

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
