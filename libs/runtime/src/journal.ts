/**
 * The step journal on Kafka, `<ns>.<agent>.journal` (docs/adr/0008): entries are written
 * outside the transaction by a second, idempotent producer (acks=all) to the task's
 * partition, and a step returns only once its entry is acknowledged. So a completed step is
 * never paid for again; only calls in flight when a process dies can be repeated.
 *
 * Per task the journal keeps the entries of records that have not committed yet, and a
 * read-back mark: the lowest journal offset such a record wrote. The mark is committed with
 * the task's progress (in the transaction); a new owner reads the journal from it to its end
 * and serves those entries. Entries of records that committed are dropped from memory.
 */
import type { Logger } from '@ambit/core';
import { createConsumer, createProducer, type KafkaConnection, type KafkaAdmin, type KafkaProducer } from '@ambit/kafka';
import type { Serde } from '@ambit/serde';
import type { StepEntry, StepJournal } from './processor/steps.ts';

interface TaskJournal {
  readonly entries: Map<string, StepEntry>;
  /** Journal offset of each uncommitted cause's first entry. */
  readonly firstOffset: Map<string, number>;
  /** Causes whose entries are cached (for pruning). */
  readonly causes: Map<string, string[]>;
  /** One past the highest journal offset known for the partition. */
  end: number;
}

export interface JournalEntryValue {
  readonly stepId: string;
  readonly agent: string;
  readonly agentVersion: string;
  readonly cause: string;
  readonly entityKey: string;
  readonly partition: number;
  readonly handler: string;
  readonly stepName: string;
  readonly occurrence: number;
  readonly inputHash: string;
  readonly status: 'COMPLETED' | 'FAILED';
  readonly result: Buffer | null;
  readonly contentType: string;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly usage: { inputTokens: number; outputTokens: number; costMinor: number | null; currency: string | null } | null;
  readonly startedAt: number;
  readonly completedAt: number;
}

const slot = (cause: string, handler: string, occurrence: number): string => `${cause}#${handler}#${occurrence}`;

export class KafkaJournal {
  readonly #conn: KafkaConnection;
  readonly #topic: string;
  readonly #serde: Serde<JournalEntryValue>;
  readonly #agent: { name: string; version: string };
  readonly #log: Logger;
  readonly #tasks = new Map<number, TaskJournal>();
  /** Calls running in this process, by partition and slot. */
  readonly #running = new Map<string, Promise<void>>();
  #producer: KafkaProducer | undefined;

  constructor(o: {
    conn: KafkaConnection;
    topic: string;
    serde: Serde<JournalEntryValue>;
    agent: { name: string; version: string };
    logger: Logger;
  }) {
    this.#conn = o.conn;
    this.#topic = o.topic;
    this.#serde = o.serde;
    this.#agent = o.agent;
    this.#log = o.logger;
  }

  get topic(): string {
    return this.#topic;
  }

  async #producerReady(): Promise<KafkaProducer> {
    this.#producer ??= await createProducer(this.#conn, { lingerMs: 2 });
    return this.#producer;
  }

  #task(partition: number): TaskJournal {
    let t = this.#tasks.get(partition);
    if (!t) {
      t = { entries: new Map(), firstOffset: new Map(), causes: new Map(), end: 0 };
      this.#tasks.set(partition, t);
    }
    return t;
  }

  /** The journal of one handler run's key in a task. */
  forRun(partition: number, entityKey: string): StepJournal {
    // A class instance, not a literal of closures: one is made per record on the hot path.
    return new RunJournal(this, partition, entityKey);
  }

  /** @internal RunJournal's view of the task's uncommitted entries. */
  lookupEntry(partition: number, cause: string, handler: string, occurrence: number): StepEntry | undefined {
    return this.#tasks.get(partition)?.entries.get(slot(cause, handler, occurrence));
  }

  /** @internal */
  writeEntry(partition: number, entityKey: string, cause: string, handler: string, entry: StepEntry): Promise<void> {
    return this.#write(partition, entityKey, cause, handler, entry);
  }

  /** @internal */
  runningCall(partition: number, cause: string, handler: string, occurrence: number): Promise<void> | undefined {
    return this.#running.get(`${partition}/${slot(cause, handler, occurrence)}`);
  }

  /** @internal */
  startingCall(partition: number, cause: string, handler: string, occurrence: number): () => void {
    const id = `${partition}/${slot(cause, handler, occurrence)}`;
    let end!: () => void;
    const p = new Promise<void>((r) => (end = r));
    this.#running.set(id, p);
    return () => {
      if (this.#running.get(id) === p) this.#running.delete(id);
      end();
    };
  }

  async #write(partition: number, entityKey: string, cause: string, handler: string, e: StepEntry): Promise<void> {
    const value = await this.#serde.serialize({
      stepId: e.stepId,
      agent: this.#agent.name,
      agentVersion: this.#agent.version,
      cause,
      entityKey,
      partition,
      handler,
      stepName: e.stepName,
      occurrence: e.occurrence,
      inputHash: e.inputHash,
      status: e.status,
      result: e.result === null ? null : Buffer.from(e.result),
      contentType: 'application/json',
      errorCode: e.errorCode,
      errorMessage: e.errorMessage,
      usage: e.usage
        ? {
            inputTokens: e.usage.inputTokens,
            outputTokens: e.usage.outputTokens,
            costMinor: e.usage.costMinor ?? null,
            currency: e.usage.currency ?? null,
          }
        : null,
      startedAt: e.startedAt,
      completedAt: e.completedAt,
    });
    const producer = await this.#producerReady();
    const [report] = await producer.send([{ topic: this.#topic, partition, key: e.stepId, value }]);
    this.#remember(partition, cause, handler, e, report?.offset ?? -1);
  }

  #remember(partition: number, cause: string, handler: string, e: StepEntry, offset: number): void {
    const t = this.#task(partition);
    const id = slot(cause, handler, e.occurrence);
    if (!t.entries.has(id)) t.entries.set(id, e); // first wins: a zombie's late duplicate never replaces it
    const ids = t.causes.get(cause) ?? [];
    ids.push(id);
    t.causes.set(cause, ids);
    if (offset >= 0) {
      if (!t.firstOffset.has(cause)) t.firstOffset.set(cause, offset);
      t.end = Math.max(t.end, offset + 1);
    }
  }

  /** Where a new owner must start reading this task's journal: the lowest offset an uncommitted record wrote. */
  mark(partition: number): number {
    const t = this.#tasks.get(partition);
    if (!t) return -1;
    let min = t.end;
    for (const o of t.firstOffset.values()) min = Math.min(min, o);
    return min;
  }

  /** These causes committed: their entries are never needed again by this task. */
  committed(partition: number, causes: Iterable<string>): void {
    const t = this.#tasks.get(partition);
    if (!t) return;
    for (const cause of causes) {
      for (const id of t.causes.get(cause) ?? []) t.entries.delete(id);
      t.causes.delete(cause);
      t.firstOffset.delete(cause);
    }
  }

  /** A task was closed (revoked or restored afresh): forget it. */
  forget(partition: number): void {
    this.#tasks.delete(partition);
  }

  /**
   * Reads the task's journal from `mark` (-1: nothing was ever marked: from the start) to its
   * end, serving the entries to re-runs of records that had not committed.
   */
  async load(admin: KafkaAdmin, partition: number, mark: number): Promise<number> {
    this.forget(partition);
    const t = this.#task(partition);
    const ends = await admin.endOffsets(this.#topic, 'read_uncommitted');
    const range = ends.find((e) => e.partition === partition);
    const end = range?.high ?? 0;
    const from = Math.max(mark < 0 ? (range?.low ?? 0) : mark, range?.low ?? 0);
    t.end = end;
    if (from >= end) return 0;
    const consumer = await createConsumer(this.#conn, {
      isolation: 'read_uncommitted',
      autoOffsetReset: 'earliest',
    });
    let loaded = 0;
    try {
      consumer.assign([{ topic: this.#topic, partition, offset: from }]);
      let next = from;
      const deadline = Date.now() + 60_000;
      while (next < end) {
        if (Date.now() > deadline) throw new Error(`journal ${this.#topic}/${partition} not read to ${end} within 60 s (at ${next})`);
        for (const r of await consumer.consume(1_000, 200)) {
          next = r.offset + 1;
          if (!r.value) continue;
          const v = await this.#serde.deserialize(r.value);
          this.#remember(
            partition,
            v.cause,
            v.handler,
            {
              stepId: v.stepId,
              stepName: v.stepName,
              occurrence: v.occurrence,
              status: v.status,
              result: v.result === null ? null : v.result.toString('utf8'),
              errorCode: v.errorCode,
              errorMessage: v.errorMessage,
              usage: v.usage
                ? {
                    inputTokens: Number(v.usage.inputTokens),
                    outputTokens: Number(v.usage.outputTokens),
                    ...(v.usage.costMinor === null ? {} : { costMinor: Number(v.usage.costMinor) }),
                    ...(v.usage.currency === null ? {} : { currency: v.usage.currency }),
                  }
                : null,
              inputHash: v.inputHash,
              startedAt: Number(v.startedAt),
              completedAt: Number(v.completedAt),
            },
            r.offset,
          );
          loaded++;
        }
      }
    } finally {
      await consumer.close().catch(() => undefined);
    }
    this.#log.debug('journal read back', { partition, from, end, loaded });
    return loaded;
  }

  async close(): Promise<void> {
    await this.#producer?.close().catch(() => undefined);
    this.#producer = undefined;
  }
}

/** The journal as one handler run of one key sees it. */
class RunJournal implements StepJournal {
  readonly #j: KafkaJournal;
  readonly #partition: number;
  readonly #entityKey: string;
  constructor(j: KafkaJournal, partition: number, entityKey: string) {
    this.#j = j;
    this.#partition = partition;
    this.#entityKey = entityKey;
  }
  lookup(cause: string, handler: string, occurrence: number): StepEntry | undefined {
    return this.#j.lookupEntry(this.#partition, cause, handler, occurrence);
  }
  record(cause: string, handler: string, entry: StepEntry): Promise<void> {
    return this.#j.writeEntry(this.#partition, this.#entityKey, cause, handler, entry);
  }
  running(cause: string, handler: string, occurrence: number): Promise<void> | undefined {
    return this.#j.runningCall(this.#partition, cause, handler, occurrence);
  }
  starting(cause: string, handler: string, occurrence: number): () => void {
    return this.#j.startingCall(this.#partition, cause, handler, occurrence);
  }
}
