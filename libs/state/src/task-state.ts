/**
 * The contract the runtime holds per task: record scopes for handlers, the transaction
 * hooks of the commit loop, and the restore path. Implementation: task-state-impl.ts.
 * State machines: README, "State machines".
 */
import type { ChangelogOffset, Checkpoint } from './checkpoint.ts';
import type { ChangelogPort } from './changelog-port.ts';
import type { KeyValueStore, ReadOnlyKeyValueStore } from './key-value-store.ts';
import type { TransactionState } from './transaction-buffer.ts';

export type RecordScopeStatus = 'active' | 'committed' | 'discarded';

/**
 * One record's view of the task's stores. Its writes stay here, visible only through its
 * own handles, until `commit()`; so a retried, DLQ'd or still-running record leaves no
 * trace (invariant 4, docs/invariants.md). Records of different keys may hold scopes
 * concurrently.
 */
export interface RecordScope {
  readonly status: RecordScopeStatus;
  /** A handle on `name` that reads through this scope and stages writes into it; usable while active. */
  store(name: string): KeyValueStore;
  /**
   * The record completed: report each final key change to the changelog port (in the order
   * of each key's last write), then promote the writes into the open transaction layer.
   * Throws STATE_ILLEGAL_STATE if the transaction the scope began in was aborted since.
   */
  commit(): void;
  /** Drops the staged writes. A no-op once committed or discarded, so it fits a `finally`. */
  discard(): void;
}

/** A record read back from a changelog during restore; `value` null is a tombstone. */
export interface ChangelogRecord {
  readonly store: string;
  readonly key: string;
  readonly value: Buffer | null;
}

export interface TaskState {
  /** The transaction buffer's state (README, "Transaction buffer"). */
  readonly transaction: TransactionState;
  /** Read-only view of a store outside any record: open transaction, committing transaction, engine. */
  store(name: string): ReadOnlyKeyValueStore;
  beginRecord(): RecordScope;
  /** Bytes in the open and committing layers; the runtime's limit decides when to commit early or pause. */
  bufferedBytes(): number;
  /** The runtime starts committing the Kafka transaction: open -> committing. */
  seal(): void;
  /**
   * The Kafka transaction committed: apply the committing layer to the engine in one atomic
   * batch with the checkpoint. `offsets` name the changelog partitions that moved (next
   * offset to read); partitions not named keep their checkpointed offset.
   */
  committed(offsets: readonly ChangelogOffset[]): Promise<void>;
  /** The Kafka transaction aborted (or failed to commit): drop the open and committing layers. */
  aborted(): void;
  /** The checkpoint the engine holds (undefined for a new or wiped store). */
  readCheckpoint(): Checkpoint | undefined;
  /** Restore: apply changelog records in order plus their checkpoint, atomically. Needs an empty buffer. */
  applyRestoreBatch(records: Iterable<ChangelogRecord>, offsets: readonly ChangelogOffset[]): Promise<void>;
  /** Deletes the task's store (directory) and buffers and reopens it empty: wipe and rebuild. */
  wipe(): Promise<void>;
  /** Closes the engine; buffered writes are dropped, as on a crash. Idempotent. */
  close(): Promise<void>;
}

export interface TaskStateOptions {
  /** Where committed record scopes report their changes; the runtime implements it. */
  readonly changelog: ChangelogPort;
  /** Time source for the checkpoint's `writtenAt`, ms since the epoch. */
  readonly clock?: () => number;
}
