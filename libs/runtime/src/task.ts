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
import type { InflightLedger } from './inflight-ledger.ts';

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
