/**
 * Task lifecycle (invariants 1 and 5, docs/invariants.md): tasks are created on
 * assignment (a partly held one waits, paused), restored one at a time outside the
 * rebalance callback, resumed at their committed offsets, rewound after an abort, and
 * closed on revocation or stop. Forced-restore mode wipes a running task after a commit.
 * Source of truth for which tasks this member holds and in what state.
 */
import { join } from 'node:path';
import { isAmbitError, type Logger, type TopicPartition } from '@ambit/core';
import { partitionKey, type KafkaAdmin, type KafkaConsumer } from '@ambit/kafka';
import { deleteTaskState, openTaskState } from '@ambit/state';
import { publish } from './diagnostics.ts';
import { InflightLedger } from './inflight-ledger.ts';
import type { Input } from './executor.ts';
import type { Fetcher } from './fetcher.ts';
import type { InternalTopics } from './internal-topics.ts';
import type { KafkaJournal } from './journal.ts';
import type { Restorer } from './restorer.ts';
import { Task } from './task.ts';
import { PROGRESS_STORE } from './task-progress.ts';

export interface TaskManagerOptions {
  readonly agent: string;
  readonly stateDir: string;
  /** Every store with a changelog: the agent's, the timer store, the progress store. */
  readonly stores: readonly string[];
  readonly inputs: readonly Input[];
  readonly topics: InternalTopics;
  readonly journal: KafkaJournal;
  readonly admin: KafkaAdmin;
  readonly consumer: () => KafkaConsumer;
  /** Around every seek: records fetched ahead before it must not be handed over after it. */
  readonly fetcher: Fetcher;
  readonly restorer: () => Restorer;
  readonly forcedRestoreProbability: number;
  /** Per-task record cache size for changelog writes (0: off). */
  readonly stateCacheMaxBytes: number;
  readonly logger: Logger;
}

export class TaskManager {
  readonly #o: TaskManagerOptions;
  readonly #tasks = new Map<number, Task>();
  /** A restore failed: the loop retries it, or stops when the error says so. */
  #restoreError: unknown;
  /** Closing without a clean stop (a simulated crash): the in-flight ledgers stay as crash evidence. */
  crashed = false;

  constructor(options: TaskManagerOptions) {
    this.#o = options;
  }

  get tasks(): ReadonlyMap<number, Task> {
    return this.#tasks;
  }

  /** Running tasks with open state: what a commit covers. */
  running(): Task[] {
    const out: Task[] = [];
    for (const t of this.#tasks.values()) if (t.status === 'RUNNING' && t.state) out.push(t);
    return out;
  }

  /** Rebalance hook: a task per assigned partition number; a partly held one waits, paused. */
  assigned(tps: readonly TopicPartition[]): void {
    const byPartition = new Map<number, Set<string>>();
    for (const tp of tps) {
      const s = byPartition.get(tp.partition) ?? new Set<string>();
      s.add(tp.topic);
      byPartition.set(tp.partition, s);
    }
    for (const [p, topics] of byPartition) {
      const task = this.#newTask(p);
      this.#tasks.set(p, task);
      // Co-assignment: a task whose partitions are only partly held stays paused, never crash-loops.
      if (!this.#o.inputs.every((i) => topics.has(i.topic))) {
        task.transition('WAITING');
        this.#o.logger.warn('task partly assigned: waiting for all its input partitions', { task: p, held: [...topics] });
      }
      publish('task', { task: p, state: task.status });
    }
  }

  #newTask(p: number): Task {
    const inputs = this.#o.inputs.map((i) => ({ topic: i.topic, partition: p }));
    const changelogs = this.#o.stores.map((store) => {
      const topic = this.#o.topics.changelog(store);
      return { store, topic, partition: p, ...this.#o.topics.info(topic) };
    });
    return new Task(p, inputs, changelogs, this.#o.stateCacheMaxBytes);
  }

  async close(task: Task): Promise<void> {
    task.transition('CLOSED');
    task.resetWork();
    this.#o.journal.forget(task.partition);
    // Closed by this process, not by its death: what it had in flight is no crash evidence.
    if (!this.crashed) task.ledger?.clear();
    await task.settleRestore();
    await task.closeState();
    this.#tasks.delete(task.partition);
    publish('task', { task: task.partition, state: 'CLOSED' });
  }

  async closePartitions(tps: readonly TopicPartition[]): Promise<void> {
    for (const p of new Set(tps.map((tp) => tp.partition))) {
      const task = this.#tasks.get(p);
      if (task) await this.close(task);
    }
  }

  async closeAll(): Promise<void> {
    for (const t of [...this.#tasks.values()]) await this.close(t);
  }

  /** Starts the restore of a new task, one restore at a time, outside the rebalance callback. */
  supervise(): void {
    let next: Task | undefined;
    for (const t of this.#tasks.values()) {
      if (t.status === 'RESTORING') return;
      if (!next && t.status === 'CREATED') next = t;
    }
    if (!next) return;
    next.transition('RESTORING');
    publish('task', { task: next.partition, state: 'RESTORING' });
    this.#startRestore(next, false);
  }

  #dir(partition: number): string {
    return join(this.#o.stateDir, this.#o.agent, String(partition));
  }

  #startRestore(task: Task, wipe: boolean): void {
    const restoring = (async () => {
      if (wipe) await deleteTaskState(this.#dir(task.partition));
      task.attachState(await openTaskState(this.#dir(task.partition), this.#o.stores, { changelog: task.changelog }));
      const resumeAt = await this.#o.restorer().restore(task);
      // After a restore: the offsets committed as done above each resume position are skipped
      // when fetched again, and the journal is read back from its mark.
      const topics = task.inputs.map((tp) => tp.topic);
      const mark = await task.progress.load(task.openState.store(PROGRESS_STORE), topics, resumeAt, this.#o.logger);
      await this.#o.journal.load(this.#o.admin, task.partition, mark);
      task.restored(resumeAt);
    })().catch((e: unknown) => {
      if (task.status === 'CLOSED') return;
      this.#restoreError = e;
    });
    task.restoreStarted(restoring);
  }

  /** Restored tasks: seek their inputs to the committed offsets and start running. Throws a restore error that must stop the runner. */
  async resumeRestored(): Promise<void> {
    if (this.#restoreError !== undefined) {
      const e = this.#restoreError;
      this.#restoreError = undefined;
      if (isAmbitError(e) && (e.action === 'fail' || e.code === 'STATE_CHANGELOG_RECREATED')) throw e;
      this.#o.logger.warn('restore failed; retrying', { error: String(e) });
      for (const t of [...this.#tasks.values()]) {
        if (t.status === 'RESTORING' && t.resumeAt === undefined) {
          await t.closeState();
          // Back to CREATED is not in the table on purpose: recreate the task object.
          this.#tasks.set(t.partition, this.#newTask(t.partition));
        }
      }
      return;
    }
    const consumer = this.#o.consumer();
    for (const task of this.#tasks.values()) {
      const resumeAt = task.resumeAt;
      if (task.status !== 'RESTORING' || resumeAt === undefined) continue;
      try {
        await this.#o.fetcher.quiesce();
        for (const tp of task.inputs) await consumer.seek(tp, resumeAt.get(tp.topic) ?? -2);
        this.#o.fetcher.dropped(task.inputs);
      } catch (e) {
        // The partitions are changing hands (a rebalance is under way): stay RESTORING, try again next round.
        this.#o.logger.warn('could not seek restored task inputs; retrying', { task: task.partition, error: String(e) });
        continue;
      }
      task.resumed();
      task.ledger ??= new InflightLedger(`${this.#dir(task.partition)}.inflight.json`);
      task.suspects = task.ledger.suspects(resumeAt);
      if (task.suspects.size > 0) {
        this.#o.logger.warn('unclean stop: re-running the in-flight records one at a time', {
          task: task.partition,
          upTo: Object.fromEntries(task.suspects),
        });
        publish('task', { task: task.partition, state: 'RUNNING', suspects: Object.fromEntries(task.suspects) });
      }
      task.transition('RUNNING');
      consumer.resume(task.inputs);
      publish('task', { task: task.partition, state: 'RUNNING' });
    }
  }

  /** Keeps the inputs of tasks that are not running paused. */
  pauseNotRunning(): void {
    const paused: TopicPartition[] = [];
    for (const t of this.#tasks.values()) if (t.status !== 'RUNNING') paused.push(...t.inputs);
    if (paused.length === 0) return;
    try {
      this.#o.consumer().pause(paused);
    } catch {
      // Not assigned yet (the assignment lands on the next poll): pausing again next round.
    }
  }

  /**
   * After an abort: every running task forgets its work and positions; unless `rewind` is
   * false (inside the revoke hook: the next owner starts from the committed offsets anyway),
   * its inputs seek back to their committed offsets.
   */
  async rewind(tasks: readonly Task[], rewind: boolean): Promise<void> {
    const consumer = this.#o.consumer();
    for (const t of tasks) {
      t.clearPositions();
      const wasPaused = t.backpressured;
      t.resetWork(); // work in flight or queued is forgotten; its completions are dropped
      if (wasPaused && rewind) {
        try {
          consumer.resume(t.inputs);
        } catch {
          // not assigned any more
        }
      }
    }
    const tps = tasks.flatMap((t) => t.inputs);
    if (tps.length === 0 || !rewind) return;
    // A partition with no committed offset goes back to the reset position.
    const committed = await consumer.committed(tps, 30_000).catch(() => new Map<string, number>());
    await this.#o.fetcher.quiesce();
    for (const t of tasks) {
      for (const tp of t.inputs) {
        const c = committed.get(partitionKey(tp));
        await consumer.seek(tp, c !== undefined && c >= 0 ? c : -2).catch(() => undefined);
        if (c !== undefined && c >= 0) t.rewoundTo(tp.topic, c);
      }
    }
    this.#o.fetcher.dropped(tps);
  }

  /**
   * Forced-restore mode: right after a commit (nothing staged), one running task drops its
   * local state and restores it from the changelog, as a new owner would.
   */
  async maybeForceRestore(): Promise<void> {
    const p = this.#o.forcedRestoreProbability;
    if (p <= 0 || Math.random() >= p) return;
    const tasks = [...this.#tasks.values()];
    if (tasks.some((t) => t.status === 'RESTORING')) return;
    const running = tasks.filter((t) => t.status === 'RUNNING');
    const task = running[Math.floor(Math.random() * running.length)];
    if (!task) return;
    try {
      this.#o.consumer().pause(task.inputs);
    } catch {
      return; // mid-rebalance: try at a later commit
    }
    task.resetWork(); // work in flight is dropped and runs again after the restore
    this.#o.journal.forget(task.partition);
    await task.closeState();
    task.clearPositions();
    task.transition('RESTORING');
    publish('task', { task: task.partition, state: 'RESTORING', forced: true });
    this.#o.logger.info('forced restore: dropping local state', { task: task.partition });
    this.#startRestore(task, true);
  }
}
