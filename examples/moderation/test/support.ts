/**
 * Shared by the moderation end-to-end tests (and test-drafts/): a fresh namespace with its
 * topics and schemas, deterministic submissions, host slots, and the checks that every
 * input caused exactly one decision and that state equals the fold of the inputs.
 */
import { join } from 'node:path';
import { groupId, isAmbitError } from '@ambit/core';
import { applyTopics, createAdmin } from '@ambit/kafka';
import { loadSchema, loadTopics, type ContentSubmitted } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, DEFAULT_COMPATIBILITY, valueSubject, type Serde } from '@ambit/serde';
import { openTaskState } from '@ambit/state';
import { HostSlot, mulberry32, type HostProcess, type ProducedRecord } from '@ambit/testing';
import { AGENT_NAME, CONFIDENT_REMOVE_BP, classify, fold, INPUT_TOPIC, TERMS, TRENDS_STORE, type TrendState } from '../src/agent.ts';

export const AGENT_MODULE = 'examples/moderation/src/agent.ts';

export interface Platform {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
}

/**
 * Creates the namespace's declared topics (inputs with their declared partitions, outputs)
 * and registers their value schemas, as `pnpm ambit topics apply` would. The runtime creates
 * the changelogs itself.
 */
export async function setUpNamespace(platform: Platform, namespace: string): Promise<void> {
  const declared = loadTopics({ namespace, env: 'local', agents: [{ name: AGENT_NAME, inputs: [INPUT_TOPIC], stores: [TRENDS_STORE] }] });
  const wanted = new Set([INPUT_TOPIC, 'decisions', 'effects.requested'].map((t) => `${namespace}.${t}`));
  const topics = declared.filter((t) => wanted.has(t.name));
  const admin = await createAdmin({ brokers: platform.brokers });
  try {
    const result = await applyTopics(admin, topics);
    if (result.drift.length > 0) throw new Error(`topic drift in a fresh namespace: ${JSON.stringify(result.drift)}`);
  } finally {
    await admin.close();
  }
  const registry = createSchemaRegistryClient({ url: platform.registryUrl });
  for (const t of topics) {
    if (t.valueSubject === null || t.valueSchema === null) continue;
    try {
      await registry.register(t.valueSubject, loadSchema(t.valueSchema).schema, { compatibility: DEFAULT_COMPATIBILITY });
    } catch (e) {
      if (!isAmbitError(e, 'SERDE_INCOMPATIBLE_SCHEMA')) throw e;
    }
  }
}

export function contentSerde(platform: Platform, namespace: string): Serde<ContentSubmitted> {
  return avroSerde<ContentSubmitted>({
    registry: createSchemaRegistryClient({ url: platform.registryUrl }),
    subject: valueSubject(`${namespace}.${INPUT_TOPIC}`),
    schema: loadSchema('ContentSubmitted').schema,
  });
}

export function decisionSerde(platform: Platform, namespace: string): Serde<Record<string, unknown>> {
  return avroSerde({
    registry: createSchemaRegistryClient({ url: platform.registryUrl }),
    subject: valueSubject(`${namespace}.decisions`),
    schema: loadSchema('Decision').schema,
  });
}

/** `count` user keys over a few tenants: `t<k>:u<i>`. */
export function userKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `t${i % 5}:u${i}`);
}

const BENIGN = ['hello', 'great', 'photo', 'today', 'thanks', 'love', 'this', 'weekend', 'recipe', 'again', 'team', 'music'];
const BAD = Object.keys(TERMS);

/**
 * Submission i by `userKey`: deterministic text mixing benign and listed words, so all three
 * outcomes (and confident removals) occur: about 3 in 4 approve.
 */
export function makeSubmission(i: number, userKey: string): ContentSubmitted {
  const rand = mulberry32(i * 2654435761 + 17);
  const words: string[] = [];
  const n = 4 + Math.floor(rand() * 6);
  for (let w = 0; w < n; w++)
    words.push(rand() < 0.12 ? BAD[Math.floor(rand() * BAD.length)]! : BENIGN[Math.floor(rand() * BENIGN.length)]!);
  const tenant = userKey.split(':')[0]!;
  return { tenant, contentId: `${tenant}:c${i}`, userId: userKey, text: words.join(' '), submittedAt: 1_700_000_000_000 + i, locale: null };
}

/** Host slots named `<prefix>-<n>`, each with its own state dir under `stateRoot`. */
export function hostSlots(
  count: number,
  options: { prefix: string; platform: Platform; namespace: string; stateRoot: string; env?: Record<string, string> },
): HostSlot[] {
  return Array.from({ length: count }, (_, n) => {
    const name = `${options.prefix}-${n}`;
    return new HostSlot({
      name,
      args: ['--module', AGENT_MODULE],
      env: {
        KAFKA_BROKERS: options.platform.brokers.join(','),
        SCHEMA_REGISTRY_URL: options.platform.registryUrl,
        AMBIT_NAMESPACE: options.namespace,
        AMBIT_INSTANCE_ID: name,
        AMBIT_STATE_DIR: join(options.stateRoot, name),
        AMBIT_LOG_LEVEL: 'warn',
        ...(options.env ?? {}),
      },
    });
  });
}

/**
 * Resolves once every one of `partitions` tasks is RUNNING on some live host (and, with
 * `everyHostBusy`, every live host runs at least one task). Throws at once
 * if a host exited by itself (not killed by a signal): it failed, and its stderr says why.
 */
export async function waitForTasksRunning(
  hosts: () => readonly HostProcess[],
  partitions: number,
  timeoutMs: number,
  options: { everyHostBusy?: boolean } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = new Set<number>();
    let idleHosts = 0;
    for (const h of hosts()) {
      if (h.exited && h.exited.signal === null) {
        throw new Error(`host ${h.name} (pid ${h.pid}) exited with code ${h.exited.code}:\n${h.stderrTail(20)}`);
      }
      if (h.exited) continue;
      let busy = false;
      for (const [task, state] of h.taskStates) {
        if (state !== 'RUNNING') continue;
        running.add(task);
        busy = true;
      }
      if (!busy) idleHosts++;
    }
    if (running.size >= partitions && (!options.everyHostBusy || idleHosts === 0)) return;
    if (Date.now() > deadline) {
      const detail = hosts()
        .map((h) => `${h.name}(pid ${h.pid}${h.exited ? ', exited' : ''}): ${JSON.stringify([...h.taskStates])}\n${h.stderrTail(10)}`)
        .join('\n');
      throw new Error(`only tasks [${[...running].sort()}] of ${partitions} running after ${timeoutMs} ms\n${detail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once the agent's group has committed (stable) every input up to its end offset. */
export async function waitForInputsCommitted(platform: Platform, namespace: string, timeoutMs: number): Promise<void> {
  const topic = `${namespace}.${INPUT_TOPIC}`;
  const admin = await createAdmin({ brokers: platform.brokers });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const ends = await admin.endOffsets(topic, 'read_uncommitted');
      const committed = await admin.committedOffsets(groupId(namespace, AGENT_NAME), topic, true).catch(() => new Map<number, number>());
      const behind = ends.filter((e) => (committed.get(e.partition) ?? 0) < e.high);
      if (behind.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `inputs not all committed after ${timeoutMs} ms: ${behind.map((e) => `p${e.partition} ${committed.get(e.partition) ?? '-'}/${e.high}`).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.close();
  }
}

export interface Expectation {
  /** `ambit-source` of every input. */
  readonly sources: Set<string>;
  /** Sources of the inputs that must cause a `content.remove` effect request. */
  readonly removalSources: Set<string>;
  /** Final trend per user: the fold of the user's inputs in offset order. */
  readonly states: Map<string, TrendState>;
}

/** What the produced inputs must lead to. `produced[i]` carries the submission it was made from. */
export function expectations(produced: ReadonlyArray<ProducedRecord & { submission: ContentSubmitted }>): Expectation {
  const sources = new Set<string>();
  const removalSources = new Set<string>();
  const states = new Map<string, TrendState>();
  const inOrder = [...produced].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const r of inOrder) {
    const source = `${INPUT_TOPIC}/${r.partition}/${r.offset}`;
    sources.add(source);
    const v = classify(r.submission.text);
    if (v.outcome === 'remove' && v.confidenceBp >= CONFIDENT_REMOVE_BP) removalSources.add(source);
    states.set(r.key, fold(states.get(r.key), r.submission));
  }
  return { sources, removalSources, states };
}

/** Keys whose state differs from the expectation (missing, extra or different), at most `limit`. */
export function stateDiff(actual: ReadonlyMap<string, TrendState>, expected: ReadonlyMap<string, TrendState>, limit = 10): string[] {
  const out: string[] = [];
  for (const [k, want] of expected) {
    const got = actual.get(k);
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${k}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
    if (out.length >= limit) return out;
  }
  for (const k of actual.keys()) {
    if (!expected.has(k)) out.push(`${k}: unexpected ${JSON.stringify(actual.get(k))}`);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * The `trends` store as the hosts left it on disk (hosts stopped). Layout from the runtime:
 * `<stateDir>/<agent>/<partition>`. A partition may have a directory in several hosts' state
 * dirs (it moved); the one with the furthest changelog checkpoint is the current one.
 */
export async function readStoresFromDisk(stateDirs: readonly string[], partitions: number): Promise<Map<string, TrendState>> {
  const { existsSync } = await import('node:fs');
  const out = new Map<string, TrendState>();
  const noChangelog = { append: () => {} };
  for (let p = 0; p < partitions; p++) {
    let best: { offset: number; entries: Array<[string, TrendState]> } | undefined;
    for (const root of stateDirs) {
      const dir = join(root, AGENT_NAME, String(p));
      if (!existsSync(dir)) continue;
      const state = await openTaskState(dir, [TRENDS_STORE], { changelog: noChangelog });
      try {
        const offset = Math.max(-1, ...(state.readCheckpoint()?.changelogs.map((c) => c.offset) ?? []));
        if (best && best.offset >= offset) continue;
        const entries: Array<[string, TrendState]> = [];
        for await (const [k, v] of state.store(TRENDS_STORE).range()) entries.push([k, JSON.parse(v.toString('utf8')) as TrendState]);
        best = { offset, entries };
      } finally {
        await state.close();
      }
    }
    for (const [k, v] of best?.entries ?? []) out.set(k, v);
  }
  return out;
}

/** SIGTERMs every slot's process at once and expects graceful exits (code 0); a failure shows the hosts' stderr. */
export async function stopAllGracefully(slots: readonly HostSlot[], timeoutMs = 30_000): Promise<void> {
  const exits = await Promise.all(slots.map((s) => s.process.stop(timeoutMs)));
  const bad = slots.filter((_, i) => exits[i]!.code !== 0 || exits[i]!.signal !== null);
  if (bad.length > 0) {
    const detail = bad.map(
      (s) => `${s.name} (pid ${s.process.pid}) exited ${JSON.stringify(s.process.exited)}:\n${s.process.stderrTail(20)}`,
    );
    throw new Error(`graceful stop failed:\n${detail.join('\n')}`);
  }
}
