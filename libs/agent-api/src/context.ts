/**
 * What an agent's handler sees. The contract only: the runtime (libs/runtime) and the
 * in-memory test driver implement it. Nothing here reaches Kafka, stores or the runtime,
 * so agent code stays deterministic and testable (STYLE principle 3).
 */

/** Facts about the record being handled. */
export interface RecordMetadata {
  /** Topic name without the namespace prefix (as declared in the agent's inputs). */
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (ms since epoch). */
  readonly timestamp: number;
  /** Headers as UTF-8 strings. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One named key-value store of the agent, scoped to the current record. */
export interface Store<V> {
  get(key: string): Promise<V | undefined>;
  /** Staged with the record: visible to this record at once, to others when the record completes. */
  put(key: string, value: V): void;
  delete(key: string): void;
  /** Key order (UTF-8 byte order); `prefix` or a half-open `[gte, lt)` range. */
  range(options?: RangeOptions): AsyncIterable<readonly [string, V]>;
}

export interface RangeOptions {
  readonly prefix?: string;
  readonly gte?: string;
  readonly lt?: string;
  readonly limit?: number;
}

/** An effect the agent asks the gateway to carry out (it never acts on the world itself). */
export interface EffectInput {
  /** Owning tenant: the effect's key on `effects.requested`. */
  readonly tenant: string;
  /** Kind of effect, e.g. `content.remove`; the policy action. */
  readonly effectType: string;
  /** What it acts on; the policy resource. */
  readonly target: string;
  /** Arguments, serialised as JSON. */
  readonly payload: unknown;
  readonly estimatedCostMinor?: number;
  readonly currency?: string;
  /** Confidence in basis points (0..10000). */
  readonly confidenceBp?: number;
  readonly reason?: string;
}

/** A decision the agent records for audit and replay diffs. */
export interface DecisionInput {
  readonly tenant: string;
  /** What was decided, e.g. `moderation.verdict`. */
  readonly kind: string;
  readonly outcome?: string;
  readonly confidenceBp?: number;
  readonly reason?: string;
  /** Further facts, serialised as JSON. */
  readonly detail?: unknown;
  readonly effectId?: string;
}

export interface AgentLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A durable per-key timer as the agent sees it when it fires. */
export interface TimerInfo {
  /** The agent's name for it, unique per key: setting the same name again replaces it. */
  readonly name: string;
  /** When it was due (ms since epoch); it never fires earlier. */
  readonly dueAt: number;
  /** What the agent attached when setting it (JSON). */
  readonly payload: unknown;
}

/** Durable per-key timers: committed with the record that sets them, fired once, in the key's order. */
export interface Timers {
  /** Sets (or replaces) the timer `name` of the current key. */
  set(name: string, dueAt: number, payload?: unknown): void;
  /** Cancels the timer `name` of the current key; a no-op when none is set. */
  cancel(name: string): void;
}

export interface AgentContext<Stores extends Record<string, unknown> = Record<string, unknown>> {
  /** The key of the record (the entity the agent is working on). */
  readonly key: string;
  readonly record: RecordMetadata;
  /** Deterministic time: the record's (or timer's) timestamp, never the wall clock. */
  now(): number;
  readonly stores: { readonly [K in keyof Stores]: Store<Stores[K]> };
  /** Emits an effect request; returns its deterministic id (`<tenant>:<hash>`). */
  emitEffect(effect: EffectInput): string;
  /** Emits a decision; returns its deterministic id. */
  emitDecision(decision: DecisionInput): string;
  readonly timers: Timers;
  readonly log: AgentLogger;
}
