export { defineAgent, input, jsonStore, output } from './agent.ts';
export type { AgentDefinition, AnyAgentDefinition, Codec, Handler, InputSpec, OutputSpec, OutputValues, StoreSpec } from './agent.ts';
export type {
  AgentContext,
  AgentLogger,
  DecisionInput,
  EffectInput,
  RangeOptions,
  RecordMetadata,
  SendOptions,
  StepContext,
  StepOptions,
  StepUsage,
  Store,
  TimerInfo,
  Timers,
} from './context.ts';
export { TerminalError } from './context.ts';
