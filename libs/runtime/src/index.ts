export { startAgent } from './agent-runner.ts';
export type { RunningAgent } from './agent-runner.ts';
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
