/**
 * The open Kafka transaction of one runner (EOS v2, invariants 2-4, docs/invariants.md):
 * begin, collect (every output, changelog and DLQ record goes through `send` or a task's
 * changelog flush), progress, commit, abort. Source of truth for whether a transaction is
 * open, since when, how many records it holds and which tasks it covers.
 *
 *   closed --begin--> open --commit ok--> closed (local state applied, checkpoints moved)
 *                       |--commit fails / abortable error--> abort --> closed (buffers dropped)
 *
 * Commit: each running task's position is its lowest incomplete offset; its progress record
 * joins the transaction; state is sealed; every running task's offsets are sent with the
 * consumer's group metadata (moved or not, so the generation check always applies); the
 * transaction commits; then each task applies its writes and checkpoint locally.
 */
import { AmbitError } from '@ambit/core';
import type { KafkaConsumer, OffsetToCommit, ProducerRecord } from '@ambit/kafka';
import { hasSubscribers, publish } from './diagnostics.ts';
import type { KafkaJournal } from './journal.ts';
import type { ProducerLifecycle } from './producer-lifecycle.ts';
import type { Task } from './task.ts';
import { PROGRESS_STORE } from './task-progress.ts';
import type { ChangelogSink } from './task-changelog.ts';

export interface TransactionHooks {
  /** Test fault: SIGSTOP the process once, right before the first commit holding records. */
  readonly pauseBeforeCommit: boolean;
  /** Test hook run right after a successful commit, before the local apply; a throw simulates a crash. */
  readonly afterCommit: (() => Promise<void> | void) | undefined;
}

export class Transaction {
  readonly #producers: ProducerLifecycle;
  readonly #journal: KafkaJournal;
  readonly #hooks: TransactionHooks;
  #open = false;
  #records = 0;
  #startedAt = 0;
  readonly #tasks = new Set<number>();
  #faultFired = false;
  /** A test hook simulated a crash after a commit: nothing more may reach Kafka or the stores. */
  crashed = false;
  readonly #sink: ChangelogSink;

  constructor(producers: ProducerLifecycle, journal: KafkaJournal, hooks: TransactionHooks) {
    this.#producers = producers;
    this.#journal = journal;
    this.#hooks = hooks;
    this.#sink = (record, delivered) => {
      const producer = this.#producers.producer;
      return producer.tryProduce(record, delivered) ? undefined : producer.produce(record, delivered);
    };
  }

  get open(): boolean {
    return this.#open;
  }

  get records(): number {
    return this.#records;
  }

  /** Wall-clock ms the open transaction began (0: none open). */
  get startedAt(): number {
    return this.#startedAt;
  }

  async begin(): Promise<void> {
    if (this.#open) return;
    await this.#producers.producer.begin();
    this.#open = true;
    this.#records = 0;
    this.#startedAt = Date.now();
    this.#tasks.clear();
    publish('txn', { event: 'begin', records: 0, tasks: [] });
  }

  /** An output or DLQ record into the open transaction; a promise only when the local queue is full. */
  send(record: ProducerRecord): Promise<void> | undefined {
    const producer = this.#producers.producer;
    return producer.tryProduce(record) ? undefined : producer.produce(record);
  }

  /** A task's changelog records appended since its last flush, into the open transaction. */
  flushChangelog(task: Task): Promise<void> | undefined {
    return task.changelog.flush(this.#sink);
  }

  /** A record (or timer firing) of `task` completed into the open transaction. */
  completed(task: Task): void {
    this.#records++;
    this.#tasks.add(task.partition);
    if (hasSubscribers('txn')) publish('txn', { event: 'progress', records: this.#records, tasks: [...this.#tasks] });
  }

  /** Whether the open transaction should commit now: interval, record cap or buffered bytes. */
  due(intervalMs: number, maxRecords: number, maxBytes: number, bufferedBytes: () => number): boolean {
    if (Date.now() - this.#startedAt >= intervalMs) return true;
    if (this.#records >= maxRecords) return true;
    return bufferedBytes() >= maxBytes;
  }

  /** Commits the open transaction for `running` tasks, then applies their state locally. */
  async commit(running: readonly Task[], consumer: KafkaConsumer): Promise<void> {
    const started = Date.now();
    for (const t of running) t.advancePositions();
    for (const t of running) await this.#stageProgress(t);
    for (const t of running) {
      // The record cache's last writes join the transaction before it commits.
      t.changelog.drainCache();
      const flushing = this.flushChangelog(t);
      if (flushing) await flushing;
    }
    for (const t of running) t.openState.seal();
    const offsets: OffsetToCommit[] = [];
    for (const t of running) {
      for (const tp of t.inputs) {
        const at = t.position(tp.topic);
        if (at !== undefined) offsets.push({ topic: tp.topic, partition: tp.partition, offset: at });
      }
    }
    const producer = this.#producers.producer;
    if (offsets.length > 0) await producer.sendOffsets(offsets, consumer);
    const sentAt = Date.now();
    if (this.#hooks.pauseBeforeCommit && !this.#faultFired && this.#records > 0) {
      this.#faultFired = true;
      publish('fault', { event: 'paused-before-commit', records: this.#records });
      process.kill(process.pid, 'SIGSTOP');
    }
    await producer.commit();
    const committedAt = Date.now();
    if (this.#hooks.afterCommit) {
      try {
        await this.#hooks.afterCommit();
      } catch (e) {
        this.crashed = true;
        throw new AmbitError('CONFIG_INVALID', `test hook crashed the runner after a commit: ${String(e)}`, { cause: e });
      }
    }
    // The commit flushed every record, so their delivery reports are queued: dispatch them now.
    // Whatever has not arrived yet only makes a checkpoint lower (it counts at the next
    // commit), which replays a little more on restore: a lower checkpoint is always safe.
    producer.poll();
    // Each task's writes and checkpoint, one LevelDB batch per task, applied together.
    await Promise.all(running.map((t) => t.openState.committed(t.changelog.committed())));
    for (const t of running) {
      t.ledger?.committed(t.positions);
      this.#journal.committed(t.partition, t.takeCauses());
      t.progress.committed();
    }
    const records = this.#records;
    const tasks = [...this.#tasks];
    this.#close();
    publish('txn', { event: 'commit', records, tasks, ms: Date.now() - started });
    publish('commit', {
      records,
      tasks,
      sendOffsetsMs: sentAt - started,
      commitMs: committedAt - sentAt,
      applyMs: Date.now() - committedAt,
    });
  }

  /**
   * Aborts the open transaction (if any) and drops what `running` tasks staged in it. The
   * producer's error, if the abort itself fails, is the caller's to act on.
   */
  async abort(running: readonly Task[], why: string): Promise<void> {
    const records = this.#records;
    const wasOpen = this.#open;
    this.#close();
    for (const t of running) {
      t.state?.aborted();
      t.changelog.reset();
      t.progress.aborted();
    }
    publish('txn', { event: 'abort', records, tasks: running.map((t) => t.partition), why });
    if (wasOpen) await this.#producers.producer.abort();
  }

  /** After the producer was recreated: no transaction is open on the new one. */
  forget(): void {
    this.#close();
  }

  #close(): void {
    this.#open = false;
    this.#records = 0;
    this.#startedAt = 0;
    this.#tasks.clear();
  }

  /** The task's progress record joins the transaction when it changed. */
  async #stageProgress(task: Task): Promise<void> {
    const state = task.openState;
    const inputs = task.inputs.map((tp) => ({ topic: tp.topic, position: task.position(tp.topic), doneAbove: task.doneAbove(tp.topic) }));
    const scope = state.beginRecord();
    if (!task.progress.stage(() => scope.store(PROGRESS_STORE), inputs, this.#journal.mark(task.partition))) {
      scope.discard();
      return;
    }
    scope.commit();
    await this.flushChangelog(task);
  }
}
