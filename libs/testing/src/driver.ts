/**
 * An in-memory driver for agent authors (Kafka Streams' TopologyTestDriver is the model):
 * pipe records in, read the decisions, effects and dead letters they cause, inspect stores,
 * advance time to fire timers. No broker, no registry: values are passed as objects.
 * It runs handlers with the runtime's own context and timer code over the state library's
 * in-memory engine, so record scoping, deterministic ids and timer semantics are the ones
 * the runtime has; each record is its own committed transaction.
 */
import {
  TerminalError,
  type AnyAgentDefinition,
  type DecisionInput,
  type EffectInput,
  type InputSpec,
  type RecordMetadata,
} from '@ambit/agent-api';
import { silentLogger } from '@ambit/core';
import {
  createContext,
  consumeTimer,
  dueTimers,
  MemoryStepJournal,
  settleTimers,
  TIMER_STORE,
  timerSource,
  type RecordOutputs,
} from '@ambit/runtime';
import { InMemoryEngine, openTaskStateOn, type RecordScope, type TaskState } from '@ambit/state';

export interface DriverOutput<T> {
  /** The key of the record (or timer) that caused it. */
  readonly key: string;
  /** `ambit-source` of the cause: `<topic>/<partition>/<offset>` or `timer/<partition>/<key>/<name>/<dueAt>`. */
  readonly source: string;
  readonly id: string;
  readonly input: T;
}

export interface DeadLetter {
  readonly key: string;
  readonly source: string;
  readonly error: unknown;
  readonly attempts: number;
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
  readonly deadLetters: readonly DeadLetter[];
  /** A store's committed value for `key`, decoded with the store's codec. */
  get<V = unknown>(store: string, key: string): Promise<V | undefined>;
  /** Every committed entry of a store, in key order. */
  entries<V = unknown>(store: string): Promise<Array<[string, V]>>;
  close(): Promise<void>;
}

export async function createTestDriver(
  agent: AnyAgentDefinition,
  options: { startTime?: number; handlerAttempts?: number; partition?: number } = {},
): Promise<TestDriver> {
  const storeNames = [...Object.keys(agent.stores), ...(agent.onTimer ? [TIMER_STORE] : [])];
  const state: TaskState = await openTaskStateOn(new InMemoryEngine(), storeNames, { changelog: { append: () => {} } });
  const partition = options.partition ?? 0;
  const attempts = options.handlerAttempts ?? 3;
  let clock = options.startTime ?? 1_700_000_000_000;
  const offsets = new Map<string, number>();
  const decisions: DriverOutput<DecisionInput>[] = [];
  const effects: DriverOutput<EffectInput>[] = [];
  const deadLetters: DeadLetter[] = [];
  // Durable steps: a retried record gets the journaled results, as on the runtime.
  const journal = new MemoryStepJournal();

  const run = async (
    handlerName: string,
    key: string,
    source: string,
    record: RecordMetadata,
    now: number,
    body: (ctx: unknown, scope: RecordScope) => unknown,
  ): Promise<boolean> => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const scope = state.beginRecord();
      const outputs: RecordOutputs = { effects: [], decisions: [] };
      try {
        const ctx = createContext({
          agent: agent.name,
          key,
          record,
          source,
          now,
          scope,
          stores: agent.stores,
          logger: silentLogger,
          outputs,
          timersEnabled: agent.onTimer !== undefined,
          steps: { cause: source, handler: handlerName, journal, maxEntryBytes: 1024 * 1024, usage: [] },
        });
        await body(ctx, scope);
        await settleTimers(ctx.timers);
        scope.commit();
        state.seal();
        await state.committed([]);
        for (const d of outputs.decisions) decisions.push({ key, source, id: d.id, input: d.input });
        for (const e of outputs.effects) effects.push({ key, source, id: e.id, input: e.input });
        return true;
      } catch (e) {
        scope.discard();
        lastError = e;
        if (e instanceof TerminalError) break;
      }
    }
    deadLetters.push({ key, source, error: lastError, attempts });
    return false;
  };

  const decode = async <V>(store: string, bytes: Buffer): Promise<V> => agent.stores[store]!.codec.decode(bytes) as V;

  return {
    async pipe(alias, key, value, o = {}) {
      const spec = (agent.inputs as Record<string, InputSpec<unknown>>)[alias];
      const handler = (agent.handlers as Record<string, (ctx: unknown, v: unknown) => unknown>)[alias];
      if (!spec || !handler) throw new Error(`agent ${agent.name} has no input "${alias}"`);
      const offset = offsets.get(spec.topic) ?? 0;
      offsets.set(spec.topic, offset + 1);
      const timestamp = o.timestamp ?? clock;
      const record: RecordMetadata = { topic: spec.topic, partition, offset, timestamp, headers: o.headers ?? {} };
      await run(alias, key, `${spec.topic}/${partition}/${offset}`, record, timestamp, (ctx) => handler(ctx, value));
    },
    async advanceTime(by) {
      const to = typeof by === 'number' ? clock + by : by.to;
      if (to < clock) throw new Error(`time only moves forward (now ${clock}, asked ${to})`);
      const onTimer = agent.onTimer;
      for (;;) {
        const [next] = onTimer ? await dueTimers(state.store(TIMER_STORE), to, 1) : [];
        if (!next) break;
        clock = Math.max(clock, next.dueAt);
        const record: RecordMetadata = { topic: '', partition, offset: -1, timestamp: next.dueAt, headers: {} };
        const ok = await run('onTimer', next.key, timerSource(partition, next), record, next.dueAt, async (ctx, scope) => {
          // The firing deletes its timer in its own scope (a handler may set it again), as in the runtime.
          if (await consumeTimer(scope.store(TIMER_STORE), next)) {
            await onTimer!(ctx as never, { name: next.name, dueAt: next.dueAt, payload: next.payload });
          }
        });
        if (!ok) {
          // Dead-lettered: drop the timer, as the runtime does.
          const scope = state.beginRecord();
          await consumeTimer(scope.store(TIMER_STORE), next);
          scope.commit();
          state.seal();
          await state.committed([]);
        }
      }
      clock = to;
    },
    now: () => clock,
    decisions,
    effects,
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
