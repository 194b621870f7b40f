/** Topic and id naming: one place, so every part of Ambit agrees (ARCHITECTURE "Names"). */

export const topicName = (namespace: string, topic: string): string => `${namespace}.${topic}`;
export const changelogTopic = (namespace: string, agent: string, store: string): string => `${namespace}.${agent}.${store}.changelog`;
export const journalTopic = (namespace: string, agent: string): string => `${namespace}.${agent}.journal`;
export const dlqTopic = (namespace: string, agent: string): string => `${namespace}.${agent}.dlq`;
export const decisionsTopic = (namespace: string): string => `${namespace}.decisions`;
export const effectsTopic = (namespace: string): string => `${namespace}.effects.requested`;
export const groupId = (namespace: string, agent: string): string => `${namespace}.${agent}`;
/** One transactional producer per (agent, process), stable across restarts (ARCHITECTURE invariant 2). */
export const transactionalId = (namespace: string, agent: string, instanceId: string): string => `${namespace}.${agent}.${instanceId}`;

/** Header names on every output. */
export const Headers = {
  source: 'ambit-source',
  agent: 'ambit-agent',
  agentVersion: 'ambit-agent-version',
} as const;

/** `ambit-source` of an input record: `<topic>/<partition>/<offset>` (topic without namespace). */
export const inputSource = (topic: string, partition: number, offset: number): string => `${topic}/${partition}/${offset}`;
