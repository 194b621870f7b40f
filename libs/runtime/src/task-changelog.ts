/**
 * A task's changelog writer: the state library's changelog port for one task. Committed
 * record scopes append their final key changes here; the transaction flushes them into
 * Kafka; the delivery reports come back here; after a commit the store checkpoint takes
 * its offsets from here. Source of truth for the changelog records of the open
 * transaction and their delivered offsets (one owner, invariant 4, docs/invariants.md).
 */
import type { DeliveryReport, ProducerRecord } from '@ambit/kafka';
import type { ChangelogOffset, ChangelogPort } from '@ambit/state';

/** One changelog partition of a task: the store's changelog topic at the task's partition. */
export interface ChangelogPartition {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  /** The topic's delete.retention.ms: how long compaction keeps a tombstone. */
  readonly deleteRetentionMs: number;
}

/** Produces one changelog record into the open transaction; `delivered` gets its report. A promise only when it has to wait. */
export type ChangelogSink = (record: ProducerRecord, delivered: (report: DeliveryReport) => void) => Promise<void> | undefined;

export class TaskChangelog implements ChangelogPort {
  readonly #partition: number;
  readonly #topics: ReadonlyMap<string, ChangelogPartition>;
  #queued: ProducerRecord[] = [];
  /**
   * The record cache (`cacheMaxBytes` > 0): a write-back cache of the open transaction's
   * changelog records, one per store key (the last write wins), produced when the
   * transaction commits or the cache passes its size, as Kafka Streams' record cache does
   * for a store's changelog. Off, every committed scope's changes are produced at once.
   */
  readonly #cacheMaxBytes: number;
  readonly #cache = new Map<string, ProducerRecord>();
  #cacheBytes = 0;
  /** Highest delivered offset per changelog topic in the open transaction. */
  readonly #delivered = new Map<string, number>();
  /** Highest delivered offset a checkpoint was taken at, per changelog topic. */
  readonly #checkpointed = new Map<string, number>();

  constructor(partition: number, changelogs: readonly ChangelogPartition[], cacheMaxBytes = 0) {
    this.#partition = partition;
    this.#topics = new Map(changelogs.map((c) => [c.store, c]));
    this.#cacheMaxBytes = cacheMaxBytes;
  }

  append(store: string, key: string, value: Buffer | null): void {
    const record = { topic: this.#topics.get(store)!.topic, partition: this.#partition, key, value };
    if (this.#cacheMaxBytes <= 0) {
      this.#queued.push(record);
      return;
    }
    const id = `${store}\u0000${key}`;
    const old = this.#cache.get(id);
    if (old) this.#cacheBytes -= old.key!.length + (old.value?.length ?? 0);
    this.#cache.set(id, record);
    this.#cacheBytes += key.length + (value?.length ?? 0);
    if (this.#cacheBytes > this.#cacheMaxBytes) this.#evict();
  }

  /** The cache passed its size: everything in it goes out with the next flush. */
  #evict(): void {
    for (const r of this.#cache.values()) this.#queued.push(r);
    this.#cache.clear();
    this.#cacheBytes = 0;
  }

  /** Before the transaction commits: the cached records go out too (with `flush`). */
  drainCache(): void {
    if (this.#cache.size > 0) this.#evict();
  }

  /** Produces what was appended into the open transaction (call it after committing a scope); a promise only when it has to wait. */
  flush(sink: ChangelogSink): Promise<void> | undefined {
    if (this.#queued.length === 0) return undefined;
    const records = this.#queued;
    this.#queued = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const waiting = sink(r, this.#onReport);
      if (waiting) return this.#flushRest(sink, waiting, records, i + 1);
    }
    return undefined;
  }

  async #flushRest(sink: ChangelogSink, waiting: Promise<void>, records: readonly ProducerRecord[], from: number): Promise<void> {
    await waiting;
    for (let i = from; i < records.length; i++) {
      const r = records[i]!;
      await sink(r, this.#onReport);
    }
  }

  /** One callback for every record (the report names the topic): nothing allocated per record. */
  readonly #onReport = (report: DeliveryReport): void => this.#onDelivered(report.topic, report.offset);

  #onDelivered(topic: string, offset: number): void {
    const prev = this.#delivered.get(topic);
    if (prev === undefined || offset > prev) this.#delivered.set(topic, offset);
  }

  /**
   * After a commit: the checkpoint offsets (next offset to read) per changelog whose delivery
   * reports arrived; forgets them. A report that arrives later counts at the next commit: a
   * checkpoint lower than the changelog's end only replays a little more on restore (records
   * are applied in order up to the end), never less.
   */
  committed(): ChangelogOffset[] {
    const moved: ChangelogOffset[] = [];
    for (const c of this.#topics.values()) {
      const at = this.#delivered.get(c.topic);
      // A late report of an earlier transaction never moves a checkpoint back.
      if (at === undefined || at < (this.#checkpointed.get(c.topic) ?? -1)) continue;
      this.#checkpointed.set(c.topic, at);
      moved.push({ topic: c.topic, partition: c.partition, topicId: c.topicId, offset: at + 1 });
    }
    this.#delivered.clear();
    return moved;
  }

  /** The transaction aborted: nothing appended or delivered in it counts. */
  reset(): void {
    this.#queued = [];
    this.#cache.clear();
    this.#cacheBytes = 0;
    this.#delivered.clear();
  }
}
