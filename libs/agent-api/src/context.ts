/**
 * What an agent's handler sees. The contract only: the runtime (libs/runtime) and the
 * in-memory test driver implement it. Nothing here reaches Kafka, stores or the runtime,
 * so agent code stays deterministic and testable (principle 3, docs/principles.md).
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

/** Tokens and cost a step consumed; summed per record onto its decisions (`usage`). */
export interface StepUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costMinor?: number;
  readonly currency?: string;
}

/** What a step's function gets. */
export interface StepContext {
  /** The step's identity (cause, handler, name, occurrence): send it along, e.g. as a request header. */
  readonly stepId: string;
  /** 1 for the first call, then 2, 3 ... on retries within this run. */
  readonly attempt: number;
  /** Aborted when the step's timeout passes. */
  readonly signal: AbortSignal;
  /** Records what this call consumed (model tokens, cost). */
  usage(u: StepUsage): void;
}

export interface StepOptions {
  /** Per-call deadline (default 30 s). */
  readonly timeoutMs?: number;
  /** Calls before the step fails for good (default 3), with exponential backoff between them. */
  readonly attempts?: number;
  /** First backoff (default 200 ms), doubled per retry, at most 5 s. */
  readonly backoffMs?: number;
  /** The step's input (JSON), hashed into its journal entry so replay can tell a changed input. */
  readonly input?: unknown;
  /** Whether an error is worth another call (default: every error but a TerminalError). */
  readonly retryable?: (error: unknown) => boolean;
}

/**
 * Thrown by a step (or a handler) for a failure no retry can fix: the record goes to the
 * DLQ at once, without further handler attempts.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code: string;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'TERMINAL';
  }
}

/** Options of `ctx.send`. */
export interface SendOptions {
  /** Extra headers (UTF-8); the runtime's own `ambit-*` headers are set after them and win. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface AgentContext<
  Stores extends Record<string, unknown> = Record<string, unknown>,
  Outputs extends Record<string, unknown> = Record<string, unknown>,
> {
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
  /**
   * Writes `value` under `key` to one of the agent's declared outputs (`outputs` in
   * `defineAgent`), encoded with that output's schema, exactly once with the rest of the
   * record's work. The key places it (murmur2), as for any producer.
   */
  send<K extends keyof Outputs & string>(output: K, key: string, value: Outputs[K], options?: SendOptions): void;
  readonly timers: Timers;
  /**
   * Runs a non-deterministic call (a model, a tool) as a durable step: its result (or its
   * final error) is journaled as soon as it completes, and a re-run of this record (a
   * retry, a restart after a crash, another owner) gets the journaled result instead of
   * calling again. The result must be JSON-serializable and within the entry size cap.
   * Steps must be called in the same order with the same names on every run.
   */
  step<T>(name: string, fn: (step: StepContext) => Promise<T> | T, options?: StepOptions): Promise<T>;
  readonly log: AgentLogger;
}
