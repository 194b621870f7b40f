/**
 * `ctx.step(name, fn, options)`: durable steps (invariant 7, docs/invariants.md; docs/adr/0008).
 * A step's identity is (cause, handler, occurrence) plus its name; a journaled entry at
 * that position is returned (or its error re-thrown) instead of calling `fn` again, and a
 * different name there is a non-determinism error. A new result is journaled, and only
 * returned once the journal has it.
 */
import { createHash } from 'node:crypto';
import { TerminalError, type StepContext, type StepOptions, type StepUsage } from '@ambit/agent-api';
import { AmbitError, isAmbitError } from '@ambit/core';

export interface StepEntry {
  readonly stepId: string;
  readonly stepName: string;
  readonly occurrence: number;
  readonly status: 'COMPLETED' | 'FAILED';
  /** JSON text of the result (COMPLETED); `null` text for undefined. */
  readonly result: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly usage: StepUsage | null;
  readonly inputHash: string;
  readonly startedAt: number;
  readonly completedAt: number;
}

/** Where steps of one handler run are looked up and journaled. */
export interface StepJournal {
  lookup(cause: string, handler: string, occurrence: number): StepEntry | undefined;
  /** Resolves once the entry is durable (journal acknowledged). */
  record(cause: string, handler: string, entry: StepEntry): Promise<void>;
  /**
   * In-process duplicate suppression: a call of this identity still running here (a re-run
   * after an abort, while the first run's call is in flight) settles this promise when done.
   */
  running?(cause: string, handler: string, occurrence: number): Promise<void> | undefined;
  /** Marks a call of this identity as running here; call the result when it ends. */
  starting?(cause: string, handler: string, occurrence: number): () => void;
}

export interface StepRun {
  readonly cause: string;
  readonly handler: string;
  readonly journal: StepJournal;
  readonly maxEntryBytes: number;
  /** Usage of every step of the run, journaled or replayed, in call order. */
  readonly usage: StepUsage[];
  /**
   * False while the process may no longer own the record (it stalled past the session
   * timeout, e.g. SIGSTOP): a step that would call out (not answered by the journal) throws
   * RUNTIME_STALLED instead, so a zombie pays for nothing the next owner pays for again.
   */
  readonly mayCall?: () => boolean;
}

export const stepId = (cause: string, handler: string, occurrence: number, name: string): string =>
  `${cause}#${handler}#${occurrence}#${name}`;

const DEFAULTS = { timeoutMs: 30_000, attempts: 3, backoffMs: 200 };

function hashInput(input: unknown): string {
  return createHash('sha256')
    .update(input === undefined ? '' : JSON.stringify(input))
    .digest('hex');
}

function replay<T>(entry: StepEntry, name: string, run: StepRun): T {
  if (entry.usage) run.usage.push(entry.usage);
  if (entry.status === 'FAILED') {
    throw new TerminalError(`step ${name} failed (journaled): ${entry.errorMessage ?? ''}`, {
      code: entry.errorCode ?? 'RUNTIME_STEP_FAILED',
    });
  }
  return (entry.result === null ? undefined : JSON.parse(entry.result)) as T;
}

/** A step function bound to one handler run; `occurrence` counts its calls. */
export function createStep(run: StepRun): <T>(name: string, fn: (s: StepContext) => Promise<T> | T, options?: StepOptions) => Promise<T> {
  let occurrence = 0;
  return async <T>(name: string, fn: (s: StepContext) => Promise<T> | T, options: StepOptions = {}): Promise<T> => {
    if (typeof name !== 'string' || name === '')
      throw new TerminalError('step name must be a non-empty string', { code: 'CONFIG_INVALID' });
    const position = occurrence++;
    const id = stepId(run.cause, run.handler, position, name);
    let known = run.journal.lookup(run.cause, run.handler, position);
    const earlier = known ? undefined : run.journal.running?.(run.cause, run.handler, position);
    if (earlier) {
      await earlier;
      known = run.journal.lookup(run.cause, run.handler, position);
    }
    if (known) {
      if (known.stepName !== name) {
        throw new AmbitError(
          'RUNTIME_NON_DETERMINISM',
          `step ${position} of ${run.handler} for ${run.cause} is "${name}" now but was "${known.stepName}" when journaled: ` +
            'steps must run in the same order with the same names on every run',
        );
      }
      return replay<T>(known, name, run);
    }
    if (run.mayCall && !run.mayCall()) {
      throw new AmbitError(
        'RUNTIME_STALLED',
        `step ${name} of ${run.cause} not called: the process stalled and may no longer own the record`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    const attempts = options.attempts ?? DEFAULTS.attempts;
    const retryable = options.retryable ?? ((e: unknown) => !(e instanceof TerminalError));
    const inputHash = hashInput(options.input);
    const startedAt = Date.now();
    const ended = run.journal.starting?.(run.cause, run.handler, position);
    try {
      return await callAndJournal();
    } finally {
      ended?.();
    }

    async function callAndJournal(): Promise<T> {
      let lastError: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const usage: StepUsage[] = [];
        const controller = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        try {
          const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              controller.abort();
              reject(new Error(`step ${name} timed out after ${timeoutMs} ms`));
            }, timeoutMs);
          });
          const ctx: StepContext = { stepId: id, attempt, signal: controller.signal, usage: (u) => void usage.push(u) };
          const value = await Promise.race([Promise.resolve().then(() => fn(ctx)), late]);
          const result = encodeResult(value, name, run.maxEntryBytes);
          const total = sumUsage(usage);
          await run.journal.record(run.cause, run.handler, {
            stepId: id,
            stepName: name,
            occurrence: position,
            status: 'COMPLETED',
            result,
            errorCode: null,
            errorMessage: null,
            usage: total,
            inputHash,
            startedAt,
            completedAt: Date.now(),
          });
          if (total) run.usage.push(total);
          return (result === null ? undefined : JSON.parse(result)) as T;
        } catch (e) {
          // The journal could not be written (broker, registry): the runtime aborts and retries the record.
          if (isAmbitError(e) && e.action !== 'fail') throw e;
          if (isAmbitError(e, 'RUNTIME_STEP_TOO_LARGE') || isAmbitError(e, 'RUNTIME_STEP_NOT_SERIALIZABLE'))
            throw new TerminalError(e.message, { code: e.code, cause: e });
          lastError = e;
          if (attempt < attempts && retryable(e)) {
            await new Promise((r) => setTimeout(r, Math.min((options.backoffMs ?? DEFAULTS.backoffMs) * 2 ** (attempt - 1), 5_000)));
            continue;
          }
          break;
        } finally {
          clearTimeout(timer);
        }
      }
      const message = lastError instanceof Error ? lastError.message : String(lastError);
      const code = lastError instanceof TerminalError ? lastError.code : 'RUNTIME_STEP_FAILED';
      await run.journal.record(run.cause, run.handler, {
        stepId: id,
        stepName: name,
        occurrence: position,
        status: 'FAILED',
        result: null,
        errorCode: code,
        errorMessage: message.slice(0, 2_000),
        usage: null,
        inputHash,
        startedAt,
        completedAt: Date.now(),
      });
      throw new TerminalError(`step ${name} failed after ${attempts} attempt(s): ${message}`, { code, cause: lastError });
    }
  };
}

function encodeResult(value: unknown, name: string, maxBytes: number): string | null {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new AmbitError(
      'RUNTIME_STEP_NOT_SERIALIZABLE',
      `step ${name} returned a value that is not JSON-serializable: ${(e as Error).message}`,
    );
  }
  if (text === undefined)
    throw new AmbitError('RUNTIME_STEP_NOT_SERIALIZABLE', `step ${name} returned a ${typeof value}, which JSON cannot hold`);
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new AmbitError(
      'RUNTIME_STEP_TOO_LARGE',
      `step ${name} returned ${bytes} bytes of JSON, over the journal entry cap of ${maxBytes}`,
    );
  }
  return text;
}

function sumUsage(list: readonly StepUsage[]): StepUsage | null {
  if (list.length === 0) return null;
  let inputTokens = 0;
  let outputTokens = 0;
  let costMinor: number | undefined;
  for (const u of list) {
    inputTokens += u.inputTokens;
    outputTokens += u.outputTokens;
    if (u.costMinor !== undefined) costMinor = (costMinor ?? 0) + u.costMinor;
  }
  const currency = list.find((u) => u.currency)?.currency;
  return { inputTokens, outputTokens, ...(costMinor === undefined ? {} : { costMinor }), ...(currency ? { currency } : {}) };
}

/** In memory, for the test driver and unit tests: entries live as long as the object. */
export class MemoryStepJournal implements StepJournal {
  readonly entries = new Map<string, StepEntry>();
  lookup(cause: string, handler: string, occurrence: number): StepEntry | undefined {
    return this.entries.get(`${cause}#${handler}#${occurrence}`);
  }
  async record(cause: string, handler: string, entry: StepEntry): Promise<void> {
    this.entries.set(`${cause}#${handler}#${entry.occurrence}`, entry);
  }
}
