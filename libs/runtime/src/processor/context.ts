/**
 * The AgentContext a handler sees for one record: reads and writes go through the
 * record's scope; emitted effects, decisions and sends are collected here and leave only
 * if the record completes. Ids are deterministic (agent, cause, emit index), so two runs
 * of the same input produce the same ids (invariant 8, docs/invariants.md).
 *
 * With key-level concurrency (`keyScoped`), records of other keys run at the same time, so
 * a handler may touch only its own record's key in its stores (invariant 6): anything else
 * could race with that key's own records and is refused with RUNTIME_STATE_KEY_SCOPE.
 */
import { createHash } from 'node:crypto';
import {
  TerminalError,
  type AgentContext,
  type AgentLogger,
  type DecisionInput,
  type EffectInput,
  type RangeOptions,
  type RecordMetadata,
  type SendOptions,
  type Store,
  type StoreSpec,
  type Timers,
} from '@ambit/agent-api';
import type { Logger } from '@ambit/core';
import type { KeyValueStore, RecordScope } from '@ambit/state';
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
/** A record for one of the agent's declared outputs (`ctx.send`). */
export interface SentRecord {
  readonly output: string;
  readonly key: string;
  readonly value: unknown;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** Collected output of one handler run. */
export interface RecordOutputs {
  readonly effects: EmittedEffect[];
  readonly decisions: EmittedDecision[];
  readonly sends: SentRecord[];
}

export const emptyOutputs = (): RecordOutputs => ({ effects: [], decisions: [], sends: [] });

export function deterministicId(tenant: string, parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  return `${tenant}:${h}`;
}

/** Refusal of a store access outside the record's key under key-level concurrency: a bug in the agent, never retried. */
function outOfKey(store: string, what: string, key: string): TerminalError {
  return new TerminalError(
    `store ${store}: ${what} is refused: with maxInFlight > 1 records of other keys run concurrently, so a handler may ` +
      `read and write only its record's key ("${key}"); keep per-entity data under the entity's key, or run with maxInFlight 1`,
    { code: 'RUNTIME_STATE_KEY_SCOPE' },
  );
}

class ScopedStore<V> implements Store<V> {
  readonly #scope: RecordScope;
  readonly #name: string;
  readonly #spec: StoreSpec<V>;
  /** The record's key when access is limited to it (key-level concurrency), else undefined. */
  readonly #only: string | undefined;
  #handle: KeyValueStore | undefined;
  constructor(scope: RecordScope, name: string, spec: StoreSpec<V>, only: string | undefined) {
    this.#scope = scope;
    this.#name = name;
    this.#spec = spec;
    this.#only = only;
  }
  #kv(key: string | undefined, what: string): KeyValueStore {
    if (this.#only !== undefined && key !== this.#only)
      throw outOfKey(this.#name, key === undefined ? what : `${what} of key "${key}"`, this.#only);
    return (this.#handle ??= this.#scope.store(this.#name));
  }
  async get(key: string): Promise<V | undefined> {
    const b = await this.#kv(key, 'get').get(key);
    return b === undefined ? undefined : this.#spec.codec.decode(b);
  }
  put(key: string, value: V): void {
    const bytes = this.#spec.codec.encode(value);
    // A codec that already returns a Buffer (jsonStore on Node) is not copied again.
    this.#kv(key, 'put').put(key, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }
  delete(key: string): void {
    this.#kv(key, 'delete').delete(key);
  }
  async *range(options: RangeOptions = {}): AsyncIterable<readonly [string, V]> {
    for await (const [k, v] of this.#kv(undefined, 'a range scan').range(options)) yield [k, this.#spec.codec.decode(v)] as const;
  }
}

export interface ContextArgs {
  readonly agent: string;
  readonly key: string;
  readonly record: RecordMetadata;
  readonly source: string;
  readonly now: number;
  readonly scope: RecordScope;
  readonly stores: Readonly<Record<string, StoreSpec<unknown>>>;
  /** Declared output aliases (`ctx.send`). */
  readonly outputs: ReadonlySet<string>;
  readonly logger: Logger;
  readonly collected: RecordOutputs;
  readonly timersEnabled: boolean;
  /** Key-level concurrency is on: store access is limited to the record's key. */
  readonly keyScoped: boolean;
  /** Durable steps of this handler run (journal, cause, handler); usage lands in `steps.usage`. */
  readonly steps: StepRun;
}

/** One record's context. A class, not a literal of closures: one is made per record on the hot path. */
class RecordContext implements AgentContext {
  readonly key: string;
  readonly record: RecordMetadata;
  readonly stores: Record<string, Store<unknown>>;
  readonly #args: ContextArgs;
  #emitIndex = 0;
  #timers: Timers | undefined;
  #step: AgentContext['step'] | undefined;
  #log: AgentLogger | undefined;

  constructor(args: ContextArgs) {
    this.#args = args;
    this.key = args.key;
    this.record = args.record;
    const stores: Record<string, Store<unknown>> = {};
    const only = args.keyScoped ? args.key : undefined;
    for (const name in args.stores) stores[name] = new ScopedStore(args.scope, name, args.stores[name]!, only);
    this.stores = stores;
  }
  now(): number {
    return this.#args.now;
  }
  emitEffect(input: EffectInput): string {
    const id = deterministicId(input.tenant, [this.#args.agent, this.#args.source, 'effect', this.#emitIndex++]);
    this.#args.collected.effects.push({ id, input });
    return id;
  }
  emitDecision(input: DecisionInput): string {
    const id = deterministicId(input.tenant, [this.#args.agent, this.#args.source, 'decision', this.#emitIndex++]);
    this.#args.collected.decisions.push({ id, input });
    return id;
  }
  send(output: string, key: string, value: unknown, options?: SendOptions): void {
    if (!this.#args.outputs.has(output)) {
      throw new TerminalError(`ctx.send: "${output}" is not a declared output of agent ${this.#args.agent} (declare it in \`outputs\`)`, {
        code: 'CONFIG_INVALID',
      });
    }
    if (typeof key !== 'string') throw new TerminalError(`ctx.send(${output}): the key must be a string`, { code: 'CONFIG_INVALID' });
    this.#args.collected.sends.push({ output, key, value, headers: options?.headers });
  }
  get timers(): Timers {
    const a = this.#args;
    return (this.#timers ??= scopedTimers(() => a.scope.store(TIMER_STORE), a.key, a.timersEnabled));
  }
  /** Timer writes the handler queued; awaited before the scope commits. */
  settled(): Promise<void> | undefined {
    return (this.#timers as { settle?: () => Promise<void> } | undefined)?.settle?.();
  }
  get step(): AgentContext['step'] {
    return (this.#step ??= createStep(this.#args.steps));
  }
  get log(): AgentLogger {
    // Made on first use: a logger child per record was a measurable share of a busy host's CPU.
    if (this.#log === undefined) {
      const child = this.#args.logger.child({ key: this.#args.key, source: this.#args.source });
      this.#log = child;
    }
    return this.#log;
  }
}

export function createContext(args: ContextArgs): AgentContext & { settled(): Promise<void> | undefined } {
  return new RecordContext(args);
}
