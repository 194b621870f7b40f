/**
 * Turns one piece of work into a stage: decodes a record (retrying an unknown writer
 * schema, dead-lettering bad bytes), checks its key's partition, runs it through the
 * record processor, and encodes what it emitted. The stage, applied under the runner's
 * lock, joins the open transaction; dropped, it leaves no trace. Owns none of the state
 * it touches: the task owns the scope's state, the transaction what is sent.
 */
import type { RecordMetadata } from '@ambit/agent-api';
import { AmbitError, inputSource, isAmbitError, type Logger } from '@ambit/core';
import { partitionFor, type ConsumedRecord, type ProducerRecord } from '@ambit/kafka';
import type { RecordScope } from '@ambit/state';
import type { Serde } from '@ambit/serde';
import { publish } from './diagnostics.ts';
import type { KafkaJournal } from './journal.ts';
import type { Cause, Original, OutputEncoder } from './output-encoder.ts';
import type { DueTimer, Invocation, RecordProcessor } from './processor/index.ts';
import type { Task } from './task.ts';
import type { Transaction } from './transaction.ts';
import type { Stage, Work } from './work.ts';

/** Lookups of an unknown writer schema id before its record is dead-lettered (backoff 0.5, 1, 2 s). */
const UNKNOWN_SCHEMA_ATTEMPTS = 4;

export interface Input {
  readonly alias: string;
  /** Topic without namespace, as the agent declared it. */
  readonly declared: string;
  readonly topic: string;
  readonly serde: Serde<unknown>;
}

export interface ExecutorOptions {
  readonly processor: RecordProcessor;
  readonly encoder: OutputEncoder;
  readonly txn: Transaction;
  readonly journal: KafkaJournal;
  readonly inputs: readonly Input[];
  /** The input partition count (for the key-placement check). */
  readonly partitions: () => number;
  /** False while the process stalled past the session timeout: steps do not call out then. */
  readonly notStalled: () => boolean;
  readonly logger: Logger;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class Executor {
  readonly #o: ExecutorOptions;
  readonly #byTopic: ReadonlyMap<string, Input>;

  constructor(options: ExecutorOptions) {
    this.#o = options;
    this.#byTopic = new Map(options.inputs.map((i) => [i.topic, i]));
  }

  /** `ambit-source` of a fetched record. */
  sourceOf(r: ConsumedRecord): string {
    return inputSource(this.#byTopic.get(r.topic)!.declared, r.partition, r.offset);
  }

  /** Runs `work` to the point where only staging is left (outside the runner's lock). */
  execute(task: Task, work: Work): Promise<Stage> {
    return work.kind === 'timer' ? this.#timer(task, work.source, work.t) : this.#record(task, work.key, work.source, work.r);
  }

  async #record(task: Task, key: string, source: string, r: ConsumedRecord): Promise<Stage> {
    const input = this.#byTopic.get(r.topic)!;
    if (r.keyBytes !== null && partitionFor(r.keyBytes, this.#o.partitions()) !== r.partition) {
      // A foreign partitioner breaks state locality: report it.
      publish('error', { event: 'key-in-wrong-partition', code: 'CONFIG_INVALID', task: task.partition, source });
      this.#o.logger.warn('record key hashes to another partition (producer not using murmur2?)', { source });
    }
    let value: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        const bytes = r.value ?? Buffer.alloc(0);
        // Synchronous once the writer schema is known (every record after the first).
        const known = attempt === 1 ? input.serde.deserializeSync?.(bytes) : undefined;
        value = known ? known.value : await input.serde.deserialize(bytes);
        break;
      } catch (e) {
        if (isAmbitError(e) && e.action === 'retry') throw e; // registry outage: abort, rewind, retry later
        // An id the registry does not know yet may be a replica catching up: ask again, with backoff.
        if (isAmbitError(e, 'SERDE_UNKNOWN_SCHEMA') && attempt < UNKNOWN_SCHEMA_ATTEMPTS) {
          await new Promise((res) => setTimeout(res, 250 * 2 ** attempt));
          continue;
        }
        return this.deadLetterStage(task, r, source, e, attempt);
      }
    }
    const metadata: RecordMetadata = {
      topic: input.declared,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      headers: headersOf(r),
    };
    const cause = { key, time: r.timestamp, source, partition: task.partition };
    const inv = this.#invocation(task, cause, metadata);
    const outcome = await this.#o.processor.record(inv, input.alias, value);
    if (!outcome.ok) return this.deadLetterStage(task, r, source, outcome.failure, outcome.attempts);
    return new OutputStage(this.#o.txn, task, outcome.scope, outcome.encoded as ProducerRecord[]);
  }

  async #timer(task: Task, source: string, t: DueTimer): Promise<Stage> {
    const metadata: RecordMetadata = { topic: '', partition: task.partition, offset: -1, timestamp: t.dueAt, headers: NO_HEADERS };
    const inv = this.#invocation(task, { key: t.key, time: t.dueAt, source, partition: task.partition }, metadata);
    const outcome = await this.#o.processor.timer(inv, t);
    if (outcome.ok) return new OutputStage(this.#o.txn, task, outcome.scope, outcome.encoded as ProducerRecord[]);
    // The timer keeps failing: drop it (in its own scope) and record why in the DLQ.
    const value = Buffer.from(JSON.stringify({ timer: t.name, dueAt: t.dueAt, payload: t.payload }));
    const dlq = this.#o.encoder.deadLetter(task.partition, { key: t.key, value, headers: {} }, source, outcome.failure, outcome.attempts);
    return new OutputStage(this.#o.txn, task, await this.#o.processor.dropTimer(task.openState, t), [dlq.record], {
      code: dlq.code,
      source,
      attempts: outcome.attempts,
    });
  }

  #invocation(task: Task, cause: Cause, metadata: RecordMetadata): Invocation {
    const state = task.state;
    if (!state) throw new AmbitError('KAFKA_TXN_ABORTABLE', 'task moved on while its record ran');
    // Closing a task (or dropping its state) bumps its epoch: the epoch check covers both.
    return {
      state,
      journal: this.#o.journal.forRun(task.partition, cause.key),
      key: cause.key,
      source: cause.source,
      metadata,
      now: cause.time,
      owner: task,
      epoch: task.epoch,
      encode: (outputs, usage) => this.#o.encoder.encode(cause, outputs, usage),
      mayCall: this.#o.notStalled,
    };
  }

  /** A permanent failure: the original record goes to the DLQ in the transaction, and nothing else. */
  deadLetterStage(task: Task, r: Original, source: string, cause: unknown, attempts: number): Stage {
    const dlq = this.#o.encoder.deadLetter(task.partition, r, source, cause, attempts);
    return new OutputStage(this.#o.txn, task, undefined, [dlq.record], { code: dlq.code, source, attempts });
  }
}

function headersOf(r: ConsumedRecord): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const k in r.headers) (out ??= {})[k] = r.headers[k]!.toString('utf8');
  return out ?? NO_HEADERS;
}

/** A completed record: its scope's writes, changelog records and outputs join the open transaction together. */
class OutputStage implements Stage {
  readonly #txn: Transaction;
  readonly #task: Task;
  readonly #scope: RecordScope | undefined;
  readonly #records: readonly ProducerRecord[];
  /** Set when the records are a dead letter: the diagnostics event reported once it is staged. */
  readonly #deadLetter: { readonly code: string; readonly source: string; readonly attempts: number } | undefined;

  constructor(
    txn: Transaction,
    task: Task,
    scope: RecordScope | undefined,
    records: readonly ProducerRecord[],
    deadLetter?: { readonly code: string; readonly source: string; readonly attempts: number },
  ) {
    this.#txn = txn;
    this.#task = task;
    this.#scope = scope;
    this.#records = records;
    this.#deadLetter = deadLetter;
  }

  async apply(): Promise<void> {
    if (!this.#txn.open) await this.#txn.begin();
    if (this.#scope) {
      this.#scope.commit();
      const flushing = this.#txn.flushChangelog(this.#task);
      if (flushing) await flushing;
    }
    for (const rec of this.#records) {
      const sending = this.#txn.send(rec);
      if (sending) await sending;
    }
    if (this.#deadLetter) publish('error', { event: 'dead-letter', ...this.#deadLetter });
  }

  drop(): void {
    this.#scope?.discard();
  }
}
