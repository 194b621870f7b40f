/**
 * TaskState implementation: wires the stack for one task (record scopes -> transaction
 * buffer -> engine) and owns the checkpoint the engine last stored. Source of truth for
 * which stores the task has and whether its state is open.
 */
import { rm } from 'node:fs/promises';
import { AmbitError } from '@ambit/core';
import { nextCheckpoint, type ChangelogOffset, type Checkpoint } from './checkpoint.ts';
import type { Change, StorageEngine } from './engine.ts';
import type { ReadOnlyKeyValueStore } from './key-value-store.ts';
import { checkKey, checkStoreName, storeKey } from './keys.ts';
import { LevelDbEngine, type LevelDbOptions } from './leveldb-engine.ts';
import { RecordScopeImpl, type ScopeContext } from './record-scope.ts';
import { ReadOnlyStoreView } from './store-view.ts';
import type { ChangelogRecord, RecordScope, TaskState, TaskStateOptions } from './task-state.ts';
import { TransactionBuffer, type TransactionState } from './transaction-buffer.ts';

export interface OpenTaskStateOptions extends TaskStateOptions {
  readonly leveldb?: LevelDbOptions;
}

/**
 * Opens the state of one task over its own LevelDB directory (ADR 0006). A
 * STATE_CORRUPTED error here means: `deleteTaskState(dir)`, open again, restore.
 */
export async function openTaskState(dir: string, stores: readonly string[], options: OpenTaskStateOptions): Promise<TaskState> {
  checkStores(stores);
  return openTaskStateOn(await LevelDbEngine.open(dir, options.leveldb), stores, options);
}

/** Opens the state of one task over an engine the caller made (an InMemoryEngine for tests and the in-memory driver). */
export async function openTaskStateOn(engine: StorageEngine, stores: readonly string[], options: TaskStateOptions): Promise<TaskState> {
  checkStores(stores);
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = await engine.readCheckpoint();
  } catch (e) {
    await engine.close().catch(() => {});
    throw e;
  }
  return new TaskStateImpl(engine, new Set(stores), options, checkpoint);
}

/** Deletes a task's state directory without opening it (for a store too corrupted to open). */
export async function deleteTaskState(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function checkStores(stores: readonly string[]): void {
  for (const s of stores) checkStoreName(s);
  if (new Set(stores).size !== stores.length) {
    throw new AmbitError('STATE_INVALID_ARGUMENT', `duplicate store names in [${stores.join(', ')}]`);
  }
}

class TaskStateImpl implements TaskState {
  readonly #engine: StorageEngine;
  readonly #stores: ReadonlySet<string>;
  readonly #buffer: TransactionBuffer;
  readonly #clock: () => number;
  readonly #scope: ScopeContext;
  readonly #views = new Map<string, ReadOnlyKeyValueStore>();
  #checkpoint: Checkpoint | undefined;
  #closed = false;
  // The engine write under way (commit, restore, wipe), which close() waits for.
  #writing: Promise<unknown> = Promise.resolve();

  constructor(engine: StorageEngine, stores: ReadonlySet<string>, options: TaskStateOptions, checkpoint: Checkpoint | undefined) {
    this.#engine = engine;
    this.#stores = stores;
    this.#buffer = new TransactionBuffer(engine);
    this.#clock = options.clock ?? Date.now;
    this.#checkpoint = checkpoint;
    this.#scope = {
      buffer: this.#buffer,
      changelog: options.changelog,
      checkStore: (name) => this.#checkStore(name),
      assertOpen: () => this.#assertOpen(),
    };
  }

  get transaction(): TransactionState {
    return this.#buffer.state;
  }

  store(name: string): ReadOnlyKeyValueStore {
    this.#checkStore(name);
    let view = this.#views.get(name);
    if (view === undefined) {
      view = new ReadOnlyStoreView(name, this.#buffer, () => this.#assertOpen());
      this.#views.set(name, view);
    }
    return view;
  }

  beginRecord(): RecordScope {
    this.#assertOpen();
    return new RecordScopeImpl(this.#scope);
  }

  bufferedBytes(): number {
    return this.#buffer.bufferedBytes();
  }

  seal(): void {
    this.#assertOpen();
    this.#buffer.seal();
  }

  async committed(offsets: readonly ChangelogOffset[]): Promise<void> {
    this.#assertOpen();
    const next = nextCheckpoint(this.#checkpoint, offsets, this.#clock());
    await this.#write(this.#buffer.committed(next));
    this.#checkpoint = next;
  }

  aborted(): void {
    this.#assertOpen();
    this.#buffer.aborted();
  }

  readCheckpoint(): Checkpoint | undefined {
    this.#assertOpen();
    return this.#checkpoint;
  }

  async applyRestoreBatch(records: Iterable<ChangelogRecord>, offsets: readonly ChangelogOffset[]): Promise<void> {
    this.#assertOpen();
    const changes: Change[] = [];
    for (const r of records) {
      this.#checkStore(r.store);
      checkKey(r.key);
      changes.push([storeKey(r.store, r.key), r.value]);
    }
    const next = nextCheckpoint(this.#checkpoint, offsets, this.#clock());
    await this.#write(this.#buffer.restore(changes, next));
    this.#checkpoint = next;
  }

  async wipe(): Promise<void> {
    this.#assertOpen();
    await this.#write(this.#buffer.wipe());
    this.#checkpoint = undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writing.catch(() => {});
    await this.#engine.close();
  }

  #write(p: Promise<void>): Promise<void> {
    this.#writing = p;
    return p;
  }

  #checkStore(name: string): void {
    this.#assertOpen();
    if (!this.#stores.has(name)) {
      throw new AmbitError('STATE_INVALID_ARGUMENT', `unknown store "${name}"`, { details: { store: name, stores: [...this.#stores] } });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new AmbitError('STATE_CLOSED', 'task state is closed');
  }
}
