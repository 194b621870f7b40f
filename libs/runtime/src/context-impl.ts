/**
 * The AgentContext a handler sees for one record: reads and writes go through the
 * record's scope; emitted effects and decisions are collected here and leave only if the
 * record completes. Ids are deterministic (agent, cause, emit index), so two runs of the
 * same input produce the same ids (ARCHITECTURE invariant 8).
 */
import { createHash } from 'node:crypto';
import type {
  AgentContext,
  AgentLogger,
  DecisionInput,
  EffectInput,
  RangeOptions,
  RecordMetadata,
  Store,
  StoreSpec,
} from '@ambit/agent-api';
import type { Logger } from '@ambit/core';
import type { RecordScope } from '@ambit/state';
import { createStep, type StepRun } from './steps.ts';
import { scopedTimers, TIMER_STORE } from './timers.ts';

export interface EmittedEffect {
  readonly id: string;
  readonly input: EffectInput;
}
export interface EmittedDecision {
  readonly id: string;
  readonly input: DecisionInput;
}

/** Collected output of one handler run. */
export interface RecordOutputs {
  readonly effects: EmittedEffect[];
  readonly decisions: EmittedDecision[];
}

export function deterministicId(tenant: string, parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  return `${tenant}:${h}`;
}

class ScopedStore<V> implements Store<V> {
  readonly #scope: RecordScope;
  readonly #name: string;
  readonly #spec: StoreSpec<V>;
  constructor(scope: RecordScope, name: string, spec: StoreSpec<V>) {
    this.#scope = scope;
    this.#name = name;
    this.#spec = spec;
  }
  async get(key: string): Promise<V | undefined> {
    const b = await this.#scope.store(this.#name).get(key);
    return b === undefined ? undefined : this.#spec.codec.decode(b);
  }
  put(key: string, value: V): void {
    this.#scope.store(this.#name).put(key, Buffer.from(this.#spec.codec.encode(value)));
  }
  delete(key: string): void {
    this.#scope.store(this.#name).delete(key);
  }
  async *range(options: RangeOptions = {}): AsyncIterable<readonly [string, V]> {
    for await (const [k, v] of this.#scope.store(this.#name).range(options)) yield [k, this.#spec.codec.decode(v)] as const;
  }
}

export function createContext<Stores extends Record<string, unknown>>(args: {
  agent: string;
  key: string;
  record: RecordMetadata;
  source: string;
  now: number;
  scope: RecordScope;
  stores: { readonly [K in keyof Stores]: StoreSpec<Stores[K]> };
  logger: Logger;
  outputs: RecordOutputs;
  timersEnabled: boolean;
  /** Durable steps of this handler run (journal, cause, handler); usage lands in `steps.usage`. */
  steps: StepRun;
}): AgentContext<Stores> {
  const stores = {} as { [K in keyof Stores]: Store<Stores[K]> };
  for (const name of Object.keys(args.stores) as (keyof Stores & string)[]) {
    stores[name] = new ScopedStore(args.scope, name, args.stores[name]);
  }
  let emitIndex = 0;
  // Made on first use: a logger child per record was a measurable share of a busy host's CPU.
  let child: AgentLogger | undefined;
  const logger = (): AgentLogger => (child ??= args.logger.child({ key: args.key, source: args.source }));
  const log: AgentLogger = {
    debug: (msg, fields) => logger().debug(msg, fields),
    info: (msg, fields) => logger().info(msg, fields),
    warn: (msg, fields) => logger().warn(msg, fields),
    error: (msg, fields) => logger().error(msg, fields),
  };
  return {
    key: args.key,
    record: args.record,
    now: () => args.now,
    stores,
    emitEffect(input) {
      const id = deterministicId(input.tenant, [args.agent, args.source, 'effect', emitIndex++]);
      args.outputs.effects.push({ id, input });
      return id;
    },
    emitDecision(input) {
      const id = deterministicId(input.tenant, [args.agent, args.source, 'decision', emitIndex++]);
      args.outputs.decisions.push({ id, input });
      return id;
    },
    timers: scopedTimers(() => args.scope.store(TIMER_STORE), args.key, args.timersEnabled),
    step: createStep(args.steps),
    log,
  };
}
