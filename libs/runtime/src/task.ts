/**
 * A task: partition p of every topic in the agent's co-partition group, its local state
 * and its input positions. The task is the source of truth for "what this process has
 * consumed and staged for partition p since the last commit".
 *
 *   CREATED --restore()--> RESTORING --done--> RUNNING --revoke/stop--> CLOSED
 *      |                      |                   |
 *      +-------partly held: WAITING (paused until every input partition is held)
 *                             +--revoke--> CLOSED  +--abort--> RUNNING (rewound)
 */
import type { TopicPartition } from '@ambit/core';
import type { TaskState } from '@ambit/state';
import type { ConsumedRecord } from '@ambit/kafka';
import type { InflightLedger } from './inflight-ledger.ts';
import { OffsetTracker } from './offset-tracker.ts';
import type { Running } from './work.ts';

export type TaskStatus = 'CREATED' | 'WAITING' | 'RESTORING' | 'RUNNING' | 'CLOSED';

const transitions: Record<TaskStatus, readonly TaskStatus[]> = {
  CREATED: ['WAITING', 'RESTORING', 'CLOSED'],
  WAITING: ['RESTORING', 'CLOSED'],
  RESTORING: ['RUNNING', 'CLOSED'],
  RUNNING: ['RESTORING', 'CLOSED'],
  CLOSED: [],
};

export interface ChangelogPartition {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  /** The topic's delete.retention.ms: how long compaction keeps a tombstone. */
  readonly deleteRetentionMs: number;
}

export class Task {
  readonly partition: number;
  /** Input partitions of the co-partition group (topic names with namespace). */
  readonly inputs: readonly TopicPartition[];
  readonly changelogs: readonly ChangelogPartition[];
  #status: TaskStatus = 'CREATED';
  state: TaskState | undefined;
  /** Next offset to consume per input topic; what the next transaction commits. */
  readonly positions = new Map<string, number>();
  /** Highest changelog offset delivered per changelog topic in the open transaction. */
  readonly txnChangelogOffsets = new Map<string, number>();
  /** Set by the restorer, consumed by the poll loop: seek inputs here, then resume. */
  resumeAt: Map<string, number> | undefined;
  /** The running restore, awaited before the task is closed. */
  restoring: Promise<void> | undefined;
  /** Records completed in the open transaction. */
  txnRecords = 0;
  // ---- key-level concurrency (reset together by `resetWork`) ----
  /** Bumped whenever in-flight work must be forgotten (abort, revoke, forced restore): stale completions are dropped. */
  epoch = 0;
  /** Fetched records not yet started, in offset order. */
  pending: ConsumedRecord[] = [];
  /** Keys with work running (a record or a timer firing). */
  readonly busy = new Set<string>();
  inFlight = 0;
  /** Work started and not yet completed (settled executions are waited for on revocation). */
  readonly running = new Set<Running>();
  /** Per input topic: offsets entered, what is complete, the committable position. */
  readonly trackers = new Map<string, OffsetTracker>();
  /** Per input topic: the last offset entered (a re-fetched record is dropped). */
  readonly enqueued = new Map<string, number>();
  /** Per input topic: offsets committed as done above the resume position (skipped, not re-run). */
  skip = new Map<string, Set<number>>();
  /** Sources completed in the open transaction (their journal entries go once it commits). */
  readonly txnCauses = new Set<string>();
  /** Inputs paused because the queue passed the distance bound. */
  backpressured = false;
  /** Last progress record written per progress key (written again only when it changes). */
  readonly progressWritten = new Map<string, string>();
  /** Progress written into the open transaction, remembered once it commits. */
  progressStaged: Array<[string, string]> = [];
  /** Done-above sets of the open transaction's progress, adopted as `skip` once it commits. */
  skipStaged = new Map<string, Set<number>>();

  tracker(topic: string): OffsetTracker {
    let t = this.trackers.get(topic);
    if (!t) {
      t = new OffsetTracker();
      this.trackers.set(topic, t);
    }
    return t;
  }

  /** Forgets all work in flight or queued (its completions will be dropped). */
  resetWork(): void {
    this.epoch++;
    this.pending = [];
    this.busy.clear();
    this.inFlight = 0;
    this.running.clear();
    this.trackers.clear();
    this.enqueued.clear();
    this.txnCauses.clear();
    this.backpressured = false;
  }

  /** Crash evidence kept outside the transaction (set when the task first resumes). */
  ledger: InflightLedger | undefined;
  /** After an unclean stop: per input topic, run records up to this offset one at a time. */
  suspects = new Map<string, number>();

  constructor(partition: number, inputs: readonly TopicPartition[], changelogs: readonly ChangelogPartition[]) {
    this.partition = partition;
    this.inputs = inputs;
    this.changelogs = changelogs;
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
    return this.inputs.some((tp) => tp.topic === topic);
  }
}
