/**
 * Topic, group and header names: one place, below every lib and service, so the runtime,
 * the CLI and the topic declarations (schemas/topics.yaml) agree (docs/architecture.md, "Names and environments").
 * Per-agent topic names must match the `agentTopics` templates in schemas/topics.yaml;
 * a test in @ambit/schemas checks that they do.
 */

export const topicName = (namespace: string, topic: string): string => `${namespace}.${topic}`;
export const changelogTopic = (namespace: string, agent: string, store: string): string => `${namespace}.${agent}.${store}.changelog`;
export const journalTopic = (namespace: string, agent: string): string => `${namespace}.${agent}.journal`;
export const inboxTopic = (namespace: string, agent: string): string => `${namespace}.${agent}.inbox`;
export const dlqTopic = (namespace: string, agent: string): string => `${namespace}.${agent}.dlq`;
export const decisionsTopic = (namespace: string): string => `${namespace}.decisions`;
export const effectsTopic = (namespace: string): string => `${namespace}.effects.requested`;
export const groupId = (namespace: string, agent: string): string => `${namespace}.${agent}`;
/** One transactional producer per (agent, process), stable across restarts (invariant 2, docs/invariants.md). */
export const transactionalId = (namespace: string, agent: string, instanceId: string): string => `${namespace}.${agent}.${instanceId}`;

/** Header names on every output. */
export const Headers = {
  source: 'ambit-source',
  agent: 'ambit-agent',
  agentVersion: 'ambit-agent-version',
} as const;

/**
 * Headers the runtime adds to a dead letter, next to the original headers and `Headers`.
 * They share `DLQ_HEADER_PREFIX`, so a re-drive can drop them all.
 */
export const DlqHeaders = {
  /** The error message, at most 2,000 characters. */
  cause: 'ambit-dlq-cause',
  /** Stable Ambit error code of the cause, e.g. `SERDE_BAD_BYTES`. */
  code: 'ambit-dlq-code',
  /** How many times the record was tried, decimal. */
  attempts: 'ambit-dlq-attempts',
} as const;
export const DLQ_HEADER_PREFIX = 'ambit-dlq-';

/** `ambit-source` of an input record: `<topic>/<partition>/<offset>` (topic without namespace). */
export const inputSource = (topic: string, partition: number, offset: number): string => `${topic}/${partition}/${offset}`;
