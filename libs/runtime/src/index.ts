export { startAgent } from './agent-runner.ts';
export type { AgentStatus, RunningAgent } from './agent-runner.ts';
export { resolveRuntimeConfig } from './config.ts';
export type { RuntimeConfig, RuntimeConfigInput } from './config.ts';
export { DIAGNOSTIC_CHANNELS } from './diagnostics.ts';
export { deterministicId } from './context-impl.ts';
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
} from './names.ts';
// For the in-memory test driver (@ambit/testing/driver): the same context and timer semantics as the runtime.
export { createContext } from './context-impl.ts';
export type { RecordOutputs, EmittedDecision, EmittedEffect } from './context-impl.ts';
export { consumeTimer, dueTimers, settleTimers, TIMER_STORE, timerSource } from './timers.ts';
export type { DueTimer } from './timers.ts';
export { MemoryStepJournal, stepId } from './steps.ts';
export type { StepEntry, StepJournal } from './steps.ts';
