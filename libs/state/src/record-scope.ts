/**
 * RecordScope implementation: the top layer of the stack. Source of truth for one
 * in-flight record's writes; hands them to the changelog port and the transaction buffer
 * when the record completes, and to nobody when it does not.
 */
import { AmbitError } from '@ambit/core';
import type { ChangelogPort } from './changelog-port.ts';
import type { Change, Entry, Reader } from './engine.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { inBounds, storeKey, type KeyBounds } from './keys.ts';
import { overlay, stack } from './merge.ts';
import { StoreView } from './store-view.ts';
import type { RecordScope, RecordScopeStatus } from './task-state.ts';
import type { TransactionBuffer } from './transaction-buffer.ts';

interface Staged {
  readonly store: string;
  readonly key: string;
  readonly value: Buffer | null;
}

export interface ScopeContext {
  readonly buffer: TransactionBuffer;
  readonly changelog: ChangelogPort;
  /** Throws unless the task is open and `name` is one of its stores. */
  readonly checkStore: (name: string) => void;
  /** Throws once the task is closed. */
  readonly assertOpen: () => void;
}

export class RecordScopeImpl implements RecordScope, Reader {
  readonly #ctx: ScopeContext;
  readonly #generation: number;
  // Composite key -> write; re-inserted on every write so iteration follows each key's last write.
  readonly #staged = new Map<string, Staged>();
  #status: RecordScopeStatus = 'active';

  constructor(ctx: ScopeContext) {
    this.#ctx = ctx;
    this.#generation = ctx.buffer.generation;
  }

  get status(): RecordScopeStatus {
    return this.#status;
  }

  store(name: string): KeyValueStore {
    this.#guard();
    this.#ctx.checkStore(name);
    return new StoreView(
      name,
      this,
      () => this.#guard(),
      (store, key, value) => this.#stage(store, key, value),
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    const staged = this.#staged.get(key);
    if (staged !== undefined) return staged.value ?? undefined;
    return this.#ctx.buffer.get(key);
  }

  range(bounds: KeyBounds, reverse: boolean): AsyncIterable<Entry> {
    const mine: Change[] = [];
    for (const [k, w] of this.#staged) if (inBounds(k, bounds)) mine.push([k, w.value]);
    return overlay(stack([mine], reverse), this.#ctx.buffer.range(bounds, reverse), reverse);
  }

  commit(): void {
    this.#guard();
    if (this.#generation !== this.#ctx.buffer.generation) {
      throw new AmbitError('STATE_ILLEGAL_STATE', 'record scope began in a transaction that was aborted since: discard it', {
        details: { op: 'commit' },
      });
    }
    const changes: Change[] = [];
    try {
      // Log first: state must never hold a write its changelog lacks.
      for (const [k, w] of this.#staged) {
        this.#ctx.changelog.append(w.store, w.key, w.value);
        changes.push([k, w.value]);
      }
    } catch (e) {
      this.discard();
      throw e;
    }
    this.#ctx.buffer.promote(changes);
    this.#staged.clear();
    this.#status = 'committed';
  }

  discard(): void {
    if (this.#status !== 'active') return;
    this.#staged.clear();
    this.#status = 'discarded';
  }

  #stage(store: string, key: string, value: Buffer | null): void {
    const k = storeKey(store, key);
    this.#staged.delete(k);
    this.#staged.set(k, { store, key, value });
  }

  #guard(): void {
    this.#ctx.assertOpen();
    if (this.#status !== 'active') {
      throw new AmbitError('STATE_ILLEGAL_STATE', `record scope is ${this.#status}`, { details: { status: this.#status } });
    }
  }
}
