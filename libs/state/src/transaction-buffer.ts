/**
 * The open and committing transaction layers of one task, over its engine. Source of truth
 * for the writes of completed records that Kafka has not committed yet: they reach the
 * engine only after the Kafka transaction commits (invariant 4, docs/invariants.md), in one
 * atomic batch with the checkpoint, and vanish if it aborts (invariant 3).
 *
 * States (README, "Transaction buffer"):
 *   open       records promote into the open layer
 *   committing seal() moved the open layer down; a fresh open layer takes new records,
 *              which librdkafka cannot produce until the commit ends
 *   applying   committed() is writing the committing layer to the engine
 */
import { AmbitError } from '@ambit/core';
import type { Checkpoint } from './checkpoint.ts';
import type { Change, Entry, Reader, StorageEngine } from './engine.ts';
import type { KeyBounds } from './keys.ts';
import { overlay, stack } from './merge.ts';
import { WriteLayer } from './write-layer.ts';

export type TransactionState = 'open' | 'committing' | 'applying';

export class TransactionBuffer implements Reader {
  readonly #engine: StorageEngine;
  #open = new WriteLayer();
  #committing: WriteLayer | undefined;
  #state: TransactionState = 'open';
  #generation = 0;

  constructor(engine: StorageEngine) {
    this.#engine = engine;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** Bumped by every abort or reset: record scopes begun before it must not promote. */
  get generation(): number {
    return this.#generation;
  }

  /** Key and value bytes in the open and committing layers; the runtime commits early or pauses past its limit. */
  bufferedBytes(): number {
    return this.#open.bytes + (this.#committing?.bytes ?? 0);
  }

  /** True when neither layer holds a write and no commit is under way. */
  isEmpty(): boolean {
    return this.#state === 'open' && this.#open.size === 0;
  }

  /** Adds a completed record's writes to the open layer (any state: see the class comment). */
  promote(changes: Iterable<Change>): void {
    for (const [k, v] of changes) this.#open.set(k, v);
  }

  async get(key: string): Promise<Buffer | undefined> {
    let v = this.#open.lookup(key);
    if (v === undefined) v = this.#committing?.lookup(key); // not ??: null is a tombstone, it must win
    if (v !== undefined) return v ?? undefined;
    return this.#engine.get(key);
  }

  range(bounds: KeyBounds, reverse: boolean): AsyncIterable<Entry> {
    const layers = [this.#open.within(bounds), this.#committing?.within(bounds) ?? []];
    return overlay(stack(layers, reverse), this.#engine.range(bounds, reverse), reverse);
  }

  /** open -> committing: the runtime is about to commit the Kafka transaction. */
  seal(): void {
    this.#expect('open', 'seal');
    this.#committing = this.#open;
    this.#open = new WriteLayer();
    this.#state = 'committing';
  }

  /**
   * committing -> open: the Kafka transaction committed; apply its writes and `checkpoint`
   * in one atomic batch. If the batch fails the buffer stays committing (reads remain
   * right) and the error says what to do; the engine still holds the previous commit.
   */
  async committed(checkpoint: Checkpoint): Promise<void> {
    this.#expect('committing', 'committed');
    this.#state = 'applying';
    try {
      await this.#engine.write((this.#committing as WriteLayer).changes(), checkpoint);
    } catch (e) {
      this.#state = 'committing';
      throw e;
    }
    this.#committing = undefined;
    this.#state = 'open';
  }

  /** open | committing -> open, empty: a failed commit rolls back everything since the last one. */
  aborted(): void {
    if (this.#state === 'applying') this.#illegal('aborted');
    this.#open = new WriteLayer();
    this.#committing = undefined;
    this.#state = 'open';
    this.#generation++;
  }

  /** Writes restored changelog records and their checkpoint straight to the engine (buffer must be empty). */
  async restore(changes: Iterable<Change>, checkpoint: Checkpoint): Promise<void> {
    if (!this.isEmpty()) this.#illegal('applyRestoreBatch', 'restore runs before processing, on an empty buffer');
    await this.#applying(() => this.#engine.write(changes, checkpoint));
  }

  /** Drops both layers (as aborted() does) and empties the engine. */
  async wipe(): Promise<void> {
    if (this.#state === 'applying') this.#illegal('wipe');
    this.aborted();
    await this.#applying(() => this.#engine.wipe());
  }

  async #applying(write: () => Promise<void>): Promise<void> {
    this.#state = 'applying';
    try {
      await write();
    } finally {
      this.#state = 'open';
    }
  }

  #expect(state: TransactionState, op: string): void {
    if (this.#state !== state) this.#illegal(op);
  }

  #illegal(op: string, why = `the transaction buffer is ${this.#state}`): never {
    throw new AmbitError('STATE_ILLEGAL_STATE', `${op}() is not allowed: ${why}`, { details: { op, state: this.#state } });
  }
}
