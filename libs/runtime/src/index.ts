export { startAgent } from './agent-runner.ts';
export type { AgentStatus, RunningAgent } from './agent-runner.ts';
export { resolveRuntimeConfig } from './config.ts';
export type { RuntimeConfig, RuntimeConfigInput } from './config.ts';
export { DIAGNOSTIC_CHANNELS } from './diagnostics.ts';
export {
  changelogTopic,
  decisionsTopic,
  dlqTopic,
  effectsTopic,
  groupId,
  Headers,
  inputSource,
  topicName,
  transactionalId,
} from '@ambit/core';
// What runs a handler, without Kafka (also `@ambit/runtime/processor`, which the in-memory driver imports).
export { deterministicId, MemoryStepJournal, RecordProcessor, stepId, TIMER_STORE } from './processor/index.ts';
export type { DueTimer, RecordOutputs, StepEntry, StepJournal } from './processor/index.ts';
