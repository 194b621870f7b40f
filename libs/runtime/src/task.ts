/**
 * A task: partition p of every topic in the agent's co-partition group, its local state,
 * its changelog writer, its input positions and the work queued and running for it. The
 * task is the source of truth for "what this process has consumed, run and staged for
 * partition p since the last commit".
 *
 *   CREATED --restore()--> RESTORING --done--> RUNNING --revoke/stop--> CLOSED
 *      |                      |                   |
 *      +-------partly held: WAITING (paused until every input partition is held)
 *                             +--revoke--> CLOSED  +--abort--> RUNNING (rewound)
 */
import type { TopicPartition } from '@ambit/core';
import type { ConsumedRecord } from '@ambit/kafka';
import type { TaskState } from '@ambit/state';
import type { InflightLedger } from './inflight-ledger.ts';
import { OffsetTracker } from './offset-tracker.ts';
import { TaskChangelog, type ChangelogPartition } from './task-changelog.ts';

export type { ChangelogPartition } from './task-changelog.ts';
import { TaskProgress } from './task-progress.ts';
import type { Running, Work } from './work.ts';

export type TaskStatus = 'CREATED' | 'WAITING' | 'RESTORING' | 'RUNNING' | 'CLOSED';

const transitions: Record<TaskStatus, readonly TaskStatus[]> = {
  CREATED: ['WAITING', 'RESTORING', 'CLOSED'],
  WAITING: ['RESTORING', 'CLOSED'],
  RESTORING: ['RUNNING', 'CLOSED'],
  RUNNING: ['RESTORING', 'CLOSED'],
  CLOSED: [],
};

export class Task {
  readonly partition: number;
  /** Input partitions of the co-partition group (topic names with namespace). */
  readonly inputs: readonly TopicPartition[];
  readonly changelogs: readonly ChangelogPartition[];
  /** The one owner of the open transaction's changelog records and their delivered offsets. */
  readonly changelog: TaskChangelog;
  /** Progress records: completed offsets above the position, the journal mark. */
  readonly progress = new TaskProgress();
  #status: TaskStatus = 'CREATED';
  #state: TaskState | undefined;
  /** Next offset to consume per input topic; what the next transaction commits. */
  readonly #positions = new Map<string, number>();
  /** Set when the restore finished: seek inputs here, then resume. */
  #resumeAt: Map<string, number> | undefined;
  /** The running restore, awaited before the task is closed. */
  #restoring: Promise<void> | undefined;
  // ---- work (reset together by `resetWork`) ----
  /** Bumped whenever in-flight work must be forgotten (abort, revoke, forced restore): stale completions are dropped. */
  #epoch = 0;
  /** Fetched records not yet started, in offset order. */
  pending: ConsumedRecord[] = [];
  /** Keys with work running (a record or a timer firing). */
  readonly #busy = new Set<string>();
  #inFlight = 0;
  /** Work started and not yet completed (settled executions are waited for on revocation). */
  readonly running = new Set<Running>();
  /** Per input topic: offsets entered, what is complete, the committable position. */
  readonly #trackers = new Map<string, OffsetTracker>();
  /** Per input topic: the last offset entered (a re-fetched record is dropped). */
  readonly #enqueued = new Map<string, number>();
  /** Sources completed in the open transaction (their journal entries go once it commits). */
  readonly #txnCauses = new Set<string>();
  /** Inputs paused because the queue passed the distance bound. */
  backpressured = false;
  /** Crash evidence kept outside the transaction (set when the task first resumes). */
  ledger: InflightLedger | undefined;
  /** After an unclean stop: per input topic, run records up to this offset one at a time. */
  suspects = new Map<string, number>();

  /** `cacheMaxBytes` > 0 turns on the changelog's record cache (task-changelog.ts). */
  constructor(partition: number, inputs: readonly TopicPartition[], changelogs: readonly ChangelogPartition[], cacheMaxBytes = 0) {
    this.partition = partition;
    this.inputs = inputs;
    this.changelogs = changelogs;
    this.changelog = new TaskChangelog(partition, changelogs, cacheMaxBytes);
  }

  get status(): TaskStatus {
    return this.#status;
  }

  /** Moves along the transitions table; returns false (and stays) when the move is not allowed. */
  transition(to: TaskStatus): boolean {
    if (!transitions[this.#status].includes(to)) return false;
    this.#status = to;
    return true;
  }

  holdsInput(topic: string): boolean {
    for (const tp of this.inputs) if (tp.topic === topic) return true;
    return false;
  }

  // ---- state and restore ----

  /** The open local state (undefined while closed or before the restore opened it). */
  get state(): TaskState | undefined {
    return this.#state;
  }

  /** The open local state; throws when there is none (a caller bug). */
  get openState(): TaskState {
    if (!this.#state) throw new Error(`task ${this.partition} has no open state`);
    return this.#state;
  }

  attachState(state: TaskState): void {
    this.#state = state;
  }

  /** Closes the local state (buffered writes are dropped, as on a crash). */
  async closeState(): Promise<void> {
    const s = this.#state;
    this.#state = undefined;
    await s?.close();
  }

  restoreStarted(restoring: Promise<void>): void {
    this.#restoring = restoring;
  }

  restored(resumeAt: Map<string, number>): void {
    this.#resumeAt = resumeAt;
  }

  /** The positions the restore found, while the inputs still have to be seeked there. */
  get resumeAt(): ReadonlyMap<string, number> | undefined {
    return this.#resumeAt;
  }

  /** The restore is over and the inputs are seeked: positions start at the resume offsets. */
  resumed(): void {
    const at = this.#resumeAt;
    this.#resumeAt = undefined;
    this.#restoring = undefined;
    if (at) for (const [topic, offset] of at) this.#positions.set(topic, offset);
  }

  /** Waits for a running restore (before closing). */
  async settleRestore(): Promise<void> {
    await this.#restoring?.catch(() => undefined);
  }

  // ---- positions ----

  position(topic: string): number | undefined {
    return this.#positions.get(topic);
  }

  get positions(): ReadonlyMap<string, number> {
    return this.#positions;
  }

  /** Before a commit: each input's position is its lowest incomplete offset (or one past the last record). */
  advancePositions(): void {
    for (const [topic, t] of this.#trackers) {
      const at = t.position();
      if (at !== undefined) this.#positions.set(topic, at);
    }
  }

  /** After an abort: the committed offsets the inputs were rewound to. */
  rewoundTo(topic: string, offset: number): void {
    this.#positions.set(topic, offset);
  }

  clearPositions(): void {
    this.#positions.clear();
  }

  // ---- work ----

  get epoch(): number {
    return this.#epoch;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  isBusy(key: string): boolean {
    return this.#busy.has(key);
  }

  tracker(topic: string): OffsetTracker {
    let t = this.#trackers.get(topic);
    if (!t) {
      t = new OffsetTracker();
      this.#trackers.set(topic, t);
    }
    return t;
  }

  /** Offsets completed above the position, per input (for the progress record). */
  doneAbove(topic: string): readonly number[] {
    return this.#trackers.get(topic)?.doneAbove() ?? [];
  }

  /**
   * A fetched record enters the task: false when it was fetched twice (around a seek) or
   * committed as done before a restart (completed at once without running); true when it
   * was queued to run.
   */
  enqueue(r: ConsumedRecord): boolean {
    const last = this.#enqueued.get(r.topic);
    if (last !== undefined && r.offset <= last) return false;
    this.#enqueued.set(r.topic, r.offset);
    const tracker = this.tracker(r.topic);
    tracker.add(r.offset);
    if (this.progress.isDone(r.topic, r.offset)) {
      tracker.complete(r.offset);
      return false;
    }
    this.pending.push(r);
    return true;
  }

  /** Work takes its key's slot. */
  started(work: Work): void {
    this.#busy.add(work.key);
    this.#inFlight++;
  }

  /** Work left its slot, completed (its stage joined the transaction) or dead-lettered. */
  completed(work: Work): void {
    this.#busy.delete(work.key);
    this.#inFlight--;
    this.finished(work);
  }

  /** Work that never took a slot (a suspect, run alone) is complete. */
  finished(work: Work): void {
    if (work.kind === 'record') this.tracker(work.r.topic).complete(work.r.offset);
    this.#txnCauses.add(work.source);
  }

  /** The sources completed in the open transaction; forgotten once read (the commit hands them to the journal). */
  takeCauses(): Set<string> {
    const causes = new Set(this.#txnCauses);
    this.#txnCauses.clear();
    return causes;
  }

  /** Forgets all work in flight or queued (its completions will be dropped). */
  resetWork(): void {
    this.#epoch++;
    this.pending = [];
    this.#busy.clear();
    this.#inFlight = 0;
    this.running.clear();
    this.#trackers.clear();
    this.#enqueued.clear();
    this.#txnCauses.clear();
    this.backpressured = false;
  }
}
