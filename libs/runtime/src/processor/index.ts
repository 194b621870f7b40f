/**
 * `@ambit/runtime/processor`: what runs a handler, without Kafka. The runtime and the
 * in-memory test driver (`@ambit/testing/driver`) both run records through it; the
 * dependency rules (`pnpm deps`) keep Kafka, the serde and infra out of its imports.
 */
export { RecordProcessor } from './record-processor.ts';
export type { Invocation, Outcome, ProcessorOptions } from './record-processor.ts';
export { createContext, deterministicId, emptyOutputs } from './context.ts';
export type { EmittedDecision, EmittedEffect, RecordOutputs, SentRecord } from './context.ts';
export { consumeTimer, dueTimers, TIMER_STORE, timerSource } from './timers.ts';
export type { DueTimer } from './timers.ts';
export { MemoryStepJournal, stepId } from './steps.ts';
export type { StepEntry, StepJournal, StepRun } from './steps.ts';
export { inputSource } from '@ambit/core';
