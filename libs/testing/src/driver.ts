/**
 * An in-memory driver for agent authors (Kafka Streams' TopologyTestDriver is the model):
 * pipe records in, read the decisions, effects, sends and dead letters they cause, inspect
 * stores, advance time to fire timers. No broker, no registry: values are passed as objects.
 *
 * It runs every record and timer through the runtime's own record processor
 * (`@ambit/runtime/processor`: context, attempts, deadline, DLQ decision) over the state
 * library's in-memory engine, so it cannot drift from the runtime; each record is its own
 * committed transaction. It imports neither the Kafka client nor infra, even transitively
 * (checked by `pnpm deps`).
 */
import type { AnyAgentDefinition, DecisionInput, EffectInput, InputSpec, RecordMetadata } from '@ambit/agent-api';
import { silentLogger } from '@ambit/core';
import {
  dueTimers,
  inputSource,
  MemoryStepJournal,
  RecordProcessor,
  TIMER_STORE,
  timerSource,
  type Invocation,
  type Outcome,
} from '@ambit/runtime/processor';
import { InMemoryEngine, openTaskStateOn, type TaskState } from '@ambit/state';

export interface DriverOutput<T> {
  /** The key of the record (or timer) that caused it. */
  readonly key: string;
  /** `ambit-source` of the cause: `<topic>/<partition>/<offset>` or `timer/<partition>/<key>/<name>/<dueAt>`. */
  readonly source: string;
  readonly id: string;
  readonly input: T;
}

/** A record written with `ctx.send` to a declared output. */
export interface SentOutput {
  readonly output: string;
  readonly key: string;
  readonly value: unknown;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** `ambit-source` of the cause. */
  readonly source: string;
}

export interface DeadLetter {
  readonly key: string;
  readonly source: string;
  readonly error: unknown;
  readonly attempts: number;
}

export interface DriverOptions {
  /** The clock's start, ms since the epoch. */
  readonly startTime?: number;
  /** Attempts per record before the DLQ (the runtime's default: 3). */
  readonly handlerAttempts?: number;
  /** One attempt's deadline (the runtime's default: 15 s). */
  readonly handlerTimeoutMs?: number;
  /** Cap on one step result (the runtime's default: 256 KiB). */
  readonly stepEntryMaxBytes?: number;
  /** Apply the key-level concurrency rules (maxInFlight > 1): store access only under the record's key. */
  readonly keyScoped?: boolean;
  readonly partition?: number;
}

export interface TestDriver {
  /** Handles one record of input `alias` (as the runtime would, retries included). */
  pipe(alias: string, key: string, value: unknown, options?: { timestamp?: number; headers?: Record<string, string> }): Promise<void>;
  /** Moves the clock forward by `ms` (or to `{ to }`), firing every timer due on the way, in due order. */
  advanceTime(by: number | { to: number }): Promise<void>;
  /** The driver's clock (ms since epoch); records default to it as their timestamp. */
  now(): number;
  readonly decisions: readonly DriverOutput<DecisionInput>[];
  readonly effects: readonly DriverOutput<EffectInput>[];
  readonly sent: readonly SentOutput[];
  readonly deadLetters: readonly DeadLetter[];
  /** A store's committed value for `key`, decoded with the store's codec. */
  get<V = unknown>(store: string, key: string): Promise<V | undefined>;
  /** Every committed entry of a store, in key order. */
  entries<V = unknown>(store: string): Promise<Array<[string, V]>>;
  close(): Promise<void>;
}

/** The runtime's defaults (libs/runtime/src/config.ts), so a driver test sees what a host does. */
const DEFAULTS = { handlerAttempts: 3, handlerTimeoutMs: 15_000, stepEntryMaxBytes: 256 * 1024 };

export async function createTestDriver(agent: AnyAgentDefinition, options: DriverOptions = {}): Promise<TestDriver> {
  const storeNames = [...Object.keys(agent.stores), ...(agent.onTimer ? [TIMER_STORE] : [])];
  const state: TaskState = await openTaskStateOn(new InMemoryEngine(), storeNames, { changelog: { append: () => {} } });
  const partition = options.partition ?? 0;
  const processor = new RecordProcessor({
    agent,
    handlerAttempts: options.handlerAttempts ?? DEFAULTS.handlerAttempts,
    handlerTimeoutMs: options.handlerTimeoutMs ?? DEFAULTS.handlerTimeoutMs,
    stepEntryMaxBytes: options.stepEntryMaxBytes ?? DEFAULTS.stepEntryMaxBytes,
    keyScoped: options.keyScoped ?? false,
    logger: silentLogger,
    backoffMs: () => 0, // no real waiting between attempts in a unit test
  });
  let clock = options.startTime ?? 1_700_000_000_000;
  const offsets = new Map<string, number>();
  const decisions: DriverOutput<DecisionInput>[] = [];
  const effects: DriverOutput<EffectInput>[] = [];
  const sent: SentOutput[] = [];
  const deadLetters: DeadLetter[] = [];
  // Durable steps: a retried record gets the journaled results, as on the runtime.
  const journal = new MemoryStepJournal();

  /** Commits a done outcome (each record its own transaction) or records the dead letter. */
  const settle = async (inv: Invocation, outcome: Outcome): Promise<boolean> => {
    if (!outcome.ok) {
      deadLetters.push({ key: inv.key, source: inv.source, error: outcome.failure, attempts: outcome.attempts });
      return false;
    }
    outcome.scope.commit();
    state.seal();
    await state.committed([]);
    const { key, source } = inv;
    for (const d of outcome.outputs.decisions) decisions.push({ key, source, id: d.id, input: d.input });
    for (const e of outcome.outputs.effects) effects.push({ key, source, id: e.id, input: e.input });
    for (const s of outcome.outputs.sends) sent.push({ ...s, source });
    return true;
  };

  const decode = async <V>(store: string, bytes: Buffer): Promise<V> => agent.stores[store]!.codec.decode(bytes) as V;

  return {
    async pipe(alias, key, value, o = {}) {
      const spec = (agent.inputs as Record<string, InputSpec<unknown>>)[alias];
      if (!spec) throw new Error(`agent ${agent.name} has no input "${alias}"`);
      const offset = offsets.get(spec.topic) ?? 0;
      offsets.set(spec.topic, offset + 1);
      const timestamp = o.timestamp ?? clock;
      const metadata: RecordMetadata = { topic: spec.topic, partition, offset, timestamp, headers: o.headers ?? {} };
      const inv: Invocation = { state, journal, key, source: inputSource(spec.topic, partition, offset), metadata, now: timestamp };
      await settle(inv, await processor.record(inv, alias, value));
    },
    async advanceTime(by) {
      const to = typeof by === 'number' ? clock + by : by.to;
      if (to < clock) throw new Error(`time only moves forward (now ${clock}, asked ${to})`);
      for (;;) {
        const [next] = agent.onTimer ? await dueTimers(state.store(TIMER_STORE), to, 1) : [];
        if (!next) break;
        clock = Math.max(clock, next.dueAt);
        const metadata: RecordMetadata = { topic: '', partition, offset: -1, timestamp: next.dueAt, headers: {} };
        const inv: Invocation = { state, journal, key: next.key, source: timerSource(partition, next), metadata, now: next.dueAt };
        if (!(await settle(inv, await processor.timer(inv, next)))) {
          // Dead-lettered: drop the timer, as the runtime does.
          (await processor.dropTimer(state, next)).commit();
          state.seal();
          await state.committed([]);
        }
      }
      clock = to;
    },
    now: () => clock,
    decisions,
    effects,
    sent,
    deadLetters,
    async get(store, key) {
      const b = await state.store(store).get(key);
      return b === undefined ? undefined : decode(store, b);
    },
    async entries(store) {
      const out: Array<[string, never]> = [];
      for await (const [k, v] of state.store(store).range()) out.push([k, await decode<never>(store, v)]);
      return out;
    },
    close: () => state.close(),
  };
}
