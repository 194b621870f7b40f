/**
 * The record collector: the one writer into the open Kafka transaction. Changelog records,
 * outputs and DLQ records all go through it, so "what this transaction wrote" has one
 * owner. It tracks delivered changelog offsets per task for the store checkpoints.
 */
import type { ProducerRecord, TransactionalProducer } from '@ambit/kafka';
import type { Task } from './task.ts';

export class RecordCollector {
  producer: TransactionalProducer;
  #pending = 0;
  #waiters: Array<() => void> = [];

  constructor(producer: TransactionalProducer) {
    this.producer = producer;
  }

  async send(record: ProducerRecord): Promise<void> {
    await this.producer.produce(record);
  }

  /** A changelog record of `task`; its delivered offset moves the task's checkpoint. */
  async sendChangelog(task: Task, record: ProducerRecord): Promise<void> {
    this.#pending++;
    await this.producer.produce(record, (report) => {
      const prev = task.txnChangelogOffsets.get(report.topic) ?? -1;
      if (report.offset > prev) task.txnChangelogOffsets.set(report.topic, report.offset);
      this.#settle();
    });
  }

  /**
   * After a commit: waits until every changelog delivery report arrived (they are
   * dispatched on the event loop and may trail the commit callback). A report that never
   * comes only makes the checkpoint lower, which replays a little more on restore.
   */
  async deliveries(timeoutMs = 5_000): Promise<void> {
    if (this.#pending === 0) return;
    await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  /** A new transaction starts: forget the previous one's delivery accounting. */
  reset(): void {
    this.#pending = 0;
    this.#release();
  }

  #settle(): void {
    if (this.#pending > 0) this.#pending--;
    if (this.#pending === 0) this.#release();
  }

  #release(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }
}
