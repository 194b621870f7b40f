export { defineAgent, input, jsonStore } from './agent.ts';
export type { AgentDefinition, AnyAgentDefinition, Codec, Handler, InputSpec, StoreSpec } from './agent.ts';
export type {
  AgentContext,
  AgentLogger,
  DecisionInput,
  EffectInput,
  RangeOptions,
  RecordMetadata,
  Store,
  TimerInfo,
  Timers,
} from './context.ts';
