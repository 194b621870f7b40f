/**
 * The record processor: runs one piece of work (a record's handler, or a timer firing) in
 * a fresh record scope per attempt, under the per-record deadline, with backoff between
 * attempts, and decides between "done" (the caller stages the scope and outputs) and
 * "failed" (the caller dead-letters). It is shared by the runtime and the in-memory test
 * driver, so the two cannot drift: there is no second attempt loop anywhere.
 *
 * Owns: the context a handler sees, the attempt loop, the deadline, the DLQ decision.
 * Does not own: decoding, scheduling, transactions, Kafka (it imports none of them).
 *
 * Errors whose code names an action other than `fail` (a registry or broker outage, a
 * journal that cannot be written, a task that moved on) are not handler failures: they
 * propagate, and the caller aborts and retries the record later.
 */
import { TerminalError, type AnyAgentDefinition, type RecordMetadata, type StepUsage } from '@ambit/agent-api';
import { AmbitError, isAmbitError, type Logger } from '@ambit/core';
import type { RecordScope, TaskState } from '@ambit/state';
import { createContext, emptyOutputs, type RecordOutputs } from './context.ts';
import type { StepJournal } from './steps.ts';
import { consumeTimer, TIMER_STORE, type DueTimer } from './timers.ts';

export interface ProcessorOptions {
  readonly agent: AnyAgentDefinition;
  /** Attempts per record before the DLQ (a TerminalError or non-determinism ends at once). */
  readonly handlerAttempts: number;
  /** One attempt's deadline; a late attempt is a failed attempt. */
  readonly handlerTimeoutMs: number;
  /** Cap on one journaled step result, bytes of JSON. */
  readonly stepEntryMaxBytes: number;
  /** Key-level concurrency is on: a handler may touch only its record's key (invariant 6). */
  readonly keyScoped: boolean;
  readonly logger: Logger;
  /** Backoff before attempt n+1, ms (default: 100, 200, 400 ... up to 1 s). */
  readonly backoffMs?: (attempt: number) => number;
}

/** Where and as what one piece of work runs. */
export interface Invocation {
  readonly state: TaskState;
  /** The journal steps of this run look up and record entries in. */
  readonly journal: StepJournal;
  readonly key: string;
  /** `ambit-source` of the work: what caused it. */
  readonly source: string;
  readonly metadata: RecordMetadata;
  /** The handler's clock: the record's (or timer's) time. */
  readonly now: number;
  /**
   * The work's owner and its epoch when the work started: once `owner.epoch` moved on
   * (abort, revoke, restore), no further attempt starts.
   */
  readonly owner?: { readonly epoch: number };
  readonly epoch?: number;
  /**
   * Turns a successful attempt's outputs into what the caller stages (the runtime: producer
   * records). It runs inside the attempt, so an output that cannot be encoded fails the
   * attempt like the handler would (a TerminalError: to the DLQ at once).
   */
  readonly encode?: (outputs: RecordOutputs, usage: readonly StepUsage[]) => unknown;
  /** False while a step may not call out (the process stalled): see `StepRun.mayCall`. */
  readonly mayCall?: () => boolean;
}

export type Outcome =
  | {
      readonly ok: true;
      /** The successful attempt's scope, still active: the caller commits or discards it. */
      readonly scope: RecordScope;
      readonly outputs: RecordOutputs;
      /** Usage of every step of the run, in call order. */
      readonly usage: readonly StepUsage[];
      /** What `Invocation.encode` returned (undefined without one). */
      readonly encoded: unknown;
    }
  | { readonly ok: false; readonly failure: unknown; readonly attempts: number };

type Body = (ctx: unknown, scope: RecordScope) => unknown;

/** Actions that are not the handler's failure: the caller aborts and runs the record again later. */
const PROPAGATE: ReadonlySet<string> = new Set(['retry', 'abort', 'rejoin', 'recreate']);

const defaultBackoff = (attempt: number): number => Math.min(50 * 2 ** attempt, 1_000);

export class RecordProcessor {
  readonly #o: ProcessorOptions;
  readonly #handlers: Readonly<Record<string, (ctx: unknown, value: unknown) => unknown>>;
  readonly #outputs: ReadonlySet<string>;
  readonly #backoff: (attempt: number) => number;
  readonly #deadlines: Deadlines;

  constructor(options: ProcessorOptions) {
    this.#o = options;
    this.#handlers = options.agent.handlers as Record<string, (ctx: unknown, value: unknown) => unknown>;
    this.#outputs = new Set(Object.keys(options.agent.outputs ?? {}));
    this.#backoff = options.backoffMs ?? defaultBackoff;
    this.#deadlines = new Deadlines(options.handlerTimeoutMs);
  }

  /** Runs input `alias`'s handler on a decoded value. */
  record(inv: Invocation, alias: string, value: unknown): Promise<Outcome> {
    const handler = this.#handlers[alias];
    if (!handler) throw new AmbitError('CONFIG_INVALID', `agent ${this.#o.agent.name} has no handler for input "${alias}"`);
    return this.#attempts(inv, alias, (ctx) => handler(ctx, value));
  }

  /** Fires a due timer: deletes it in the firing's scope (the handler may set it again), then runs onTimer. */
  timer(inv: Invocation, t: DueTimer): Promise<Outcome> {
    const onTimer = this.#o.agent.onTimer;
    if (!onTimer) throw new AmbitError('CONFIG_INVALID', `agent ${this.#o.agent.name} has no onTimer handler`);
    return this.#attempts(inv, 'onTimer', async (ctx, scope) => {
      if (await consumeTimer(scope.store(TIMER_STORE), t))
        await onTimer(ctx as never, { name: t.name, dueAt: t.dueAt, payload: t.payload });
    });
  }

  /** A timer that kept failing: a scope that only deletes it (the caller commits it with the DLQ record). */
  async dropTimer(state: TaskState, t: DueTimer): Promise<RecordScope> {
    const scope = state.beginRecord();
    await consumeTimer(scope.store(TIMER_STORE), t);
    return scope;
  }

  async #attempts(inv: Invocation, handler: string, body: Body): Promise<Outcome> {
    const max = this.#o.handlerAttempts;
    let lastError: unknown;
    for (let attempt = 1; attempt <= max; attempt++) {
      if (inv.owner && inv.owner.epoch !== inv.epoch) throw new AmbitError('KAFKA_TXN_ABORTABLE', 'task moved on while its record ran');
      const scope = inv.state.beginRecord();
      const outputs = emptyOutputs();
      const usage: StepUsage[] = [];
      try {
        const ctx = createContext({
          agent: this.#o.agent.name,
          key: inv.key,
          record: inv.metadata,
          source: inv.source,
          now: inv.now,
          scope,
          stores: this.#o.agent.stores,
          outputs: this.#outputs,
          logger: this.#o.logger,
          collected: outputs,
          timersEnabled: this.#o.agent.onTimer !== undefined,
          keyScoped: this.#o.keyScoped,
          steps: {
            cause: inv.source,
            handler,
            journal: inv.journal,
            maxEntryBytes: this.#o.stepEntryMaxBytes,
            usage,
            mayCall: inv.mayCall,
          },
        });
        const ran = body(ctx, scope);
        // A handler that finished synchronously needs no deadline.
        if (ran instanceof Promise) await this.#withDeadline(ran, inv.source);
        const timers = ctx.settled();
        if (timers) await timers;
        let encoded = inv.encode?.(outputs, usage);
        if (encoded instanceof Promise) encoded = await encoded;
        return { ok: true, scope, outputs, usage, encoded };
      } catch (e) {
        scope.discard();
        lastError = e;
        if (isAmbitError(e) && PROPAGATE.has(e.action)) throw e;
        this.#o.logger.warn('handler failed', { source: inv.source, attempt, error: e instanceof Error ? e.message : String(e) });
        if (e instanceof TerminalError || isAmbitError(e, 'RUNTIME_NON_DETERMINISM')) return { ok: false, failure: e, attempts: attempt };
        if (attempt < max) await new Promise((res) => setTimeout(res, this.#backoff(attempt)));
      }
    }
    return { ok: false, failure: lastError, attempts: max };
  }

  /** One attempt under the per-record deadline; the caller discards a late attempt's scope. */
  #withDeadline(work: Promise<unknown>, source: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const ticket = this.#deadlines.track(() =>
        reject(new AmbitError('RUNTIME_HANDLER_TIMEOUT', `handler for ${source} did not finish within ${this.#o.handlerTimeoutMs} ms`)),
      );
      work.then(
        (v) => {
          this.#deadlines.done(ticket);
          resolve(v);
        },
        (e: unknown) => {
          this.#deadlines.done(ticket);
          reject(e);
        },
      );
    });
  }
}

interface Ticket {
  readonly due: number;
  readonly late: () => void;
}

/**
 * Every running attempt's deadline, with one timer for all of them instead of one per
 * record (a timer per record was a measurable share of a busy host's CPU). All attempts
 * have the same timeout, so deadlines fall in start order: the timer is armed for the
 * oldest running attempt and, when it fires, times out every attempt past its deadline.
 */
class Deadlines {
  readonly #ms: number;
  readonly #running = new Set<Ticket>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  track(late: () => void): Ticket {
    const ticket = { due: Date.now() + this.#ms, late };
    this.#running.add(ticket);
    if (!this.#timer) this.#arm(this.#ms);
    return ticket;
  }

  done(ticket: Ticket): void {
    this.#running.delete(ticket);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, ms));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const t of this.#running) {
      if (t.due > now) {
        this.#arm(t.due - now);
        return;
      }
      this.#running.delete(t);
      t.late();
    }
  }
}
