/**
 * Declared topics -> broker: create what is missing, report what differs, never alter.
 * Altering a live topic (partition count above all) moves keys between partitions and
 * breaks co-partitioning and state locality, so drift is an operator's decision, not ours.
 */
import { AmbitError } from '@ambit/core';
import type { KafkaAdmin, TopicDescription, TopicSpec } from './admin.ts';

/** The properties whose difference is drift; other configs may be tuned on the broker. */
export type DriftField = 'partitions' | 'replicationFactor' | 'cleanup.policy';

export interface TopicDrift {
  readonly topic: string;
  readonly field: DriftField;
  readonly desired: string | number;
  readonly actual: string | number;
}

export interface TopicPlan {
  /** Declared topics the broker does not have. */
  readonly create: TopicSpec[];
  /** Differences between existing topics and their declarations; a topic may have several. */
  readonly drift: TopicDrift[];
  /** Existing topics that match their declarations. */
  readonly unchanged: string[];
}

export interface ApplyTopicsResult {
  readonly created: string[];
  readonly unchanged: string[];
  readonly drift: TopicDrift[];
}

/**
 * Pure diff of declared topics against the broker's descriptions (`actual` holds only the
 * topics that exist). `cleanup.policy` is compared only when the declaration sets it, since
 * otherwise the broker's default applies.
 */
export function planTopics(desired: readonly TopicSpec[], actual: readonly TopicDescription[]): TopicPlan {
  const byName = new Map(actual.map((t) => [t.name, t]));
  const create: TopicSpec[] = [];
  const drift: TopicDrift[] = [];
  const unchanged: string[] = [];
  for (const spec of desired) {
    const have = byName.get(spec.name);
    if (!have) {
      create.push(spec);
      continue;
    }
    const before = drift.length;
    if (have.partitions !== spec.partitions) {
      drift.push({ topic: spec.name, field: 'partitions', desired: spec.partitions, actual: have.partitions });
    }
    if (have.replicationFactor !== spec.replicationFactor) {
      drift.push({ topic: spec.name, field: 'replicationFactor', desired: spec.replicationFactor, actual: have.replicationFactor });
    }
    const wantPolicy = spec.configs['cleanup.policy'];
    if (wantPolicy !== undefined) {
      const havePolicy = have.configs['cleanup.policy'] ?? '';
      if (normalizePolicy(wantPolicy) !== normalizePolicy(havePolicy)) {
        drift.push({ topic: spec.name, field: 'cleanup.policy', desired: wantPolicy, actual: havePolicy || '(unknown)' });
      }
    }
    if (drift.length === before) unchanged.push(spec.name);
  }
  return { create, drift, unchanged };
}

/**
 * Creates the declared topics that are missing and reports drift on the others; never
 * alters an existing topic. A topic created concurrently by someone else counts as
 * created here and is checked on the next run.
 */
export async function applyTopics(admin: KafkaAdmin, desired: readonly TopicSpec[]): Promise<ApplyTopicsResult> {
  assertUniqueNames(desired);
  const existing = new Set(await admin.listTopics());
  const present = desired.filter((t) => existing.has(t.name)).map((t) => t.name);
  const actual = present.length === 0 ? [] : await admin.describeTopics(present, ['cleanup.policy']);
  const plan = planTopics(desired, actual);
  const created = plan.create.length === 0 ? [] : await admin.createTopics(plan.create);
  return { created, unchanged: plan.unchanged, drift: plan.drift };
}

/** One line per drifted property, e.g. `dev.actions: partitions is 3, declared 6`. */
export function describeDrift(d: TopicDrift): string {
  return `${d.topic}: ${d.field} is ${d.actual}, declared ${d.desired}`;
}

/** KAFKA_TOPIC_DRIFT naming every drifted topic and field, for callers that refuse to run on drift. */
export function topicDriftError(drift: readonly TopicDrift[]): AmbitError {
  return new AmbitError('KAFKA_TOPIC_DRIFT', `topics differ from their declarations: ${drift.map(describeDrift).join('; ')}`, {
    details: { drift: drift.map((d) => ({ ...d })) },
  });
}

/** `compact,delete` and `delete,compact` are the same policy. */
function normalizePolicy(p: string): string {
  return p
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort()
    .join(',');
}

function assertUniqueNames(specs: readonly TopicSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new AmbitError('KAFKA_INVALID_CONFIG', `topic ${s.name} is declared twice`);
    seen.add(s.name);
  }
}
