export { defineAgent, input, jsonStore } from './agent.ts';
export type { AgentDefinition, AnyAgentDefinition, Codec, Handler, InputSpec, StoreSpec } from './agent.ts';
export type {
  AgentContext,
  AgentLogger,
  DecisionInput,
  EffectInput,
  RangeOptions,
  RecordMetadata,
  StepContext,
  StepOptions,
  StepUsage,
  Store,
  TimerInfo,
  Timers,
} from './context.ts';
export { TerminalError } from './context.ts';
