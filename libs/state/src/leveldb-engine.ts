/**
 * The production engine: one LevelDB per task directory (ADR 0006), holding every store of
 * the task under its key prefix and the checkpoint under a reserved key, so one atomic
 * batch covers all of them. Source of truth for what the task has applied locally.
 * The only importer of classic-level; its errors become AmbitErrors here, once.
 */
import { rm } from 'node:fs/promises';
import { AmbitError } from '@ambit/core';
// eslint-disable-next-line no-restricted-imports -- libs/state is the engine's one importer (docs/architecture.md, layering)
import { ClassicLevel } from 'classic-level';
import { currentBootId, leftOpenInBoot, markClosedCleanly, markOpenUnsynced } from './boot-guard.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { Change, Entry, StorageEngine } from './engine.ts';
import type { KeyBounds } from './keys.ts';

/** Per-task LevelDB limits; a process holds one LevelDB per assigned task (ADR 0006). */
export interface LevelDbOptions {
  /** Block cache (uncompressed blocks), bytes. */
  readonly cacheSize?: number;
  /** Memtable size, bytes; LevelDB may hold two while one is flushed. */
  readonly writeBufferSize?: number;
  /** Table files kept open; LevelDB clamps it to 74..50000. */
  readonly maxOpenFiles?: number;
  /**
   * fsync every batch. Off (the default), batches are not synced and the boot guard
   * (boot-guard.ts) wipes a store the machine went down under, so it is restored from its
   * changelog instead of trusted; where the kernel has no boot id, every batch is synced.
   * A process crash alone is safe either way (the batch is in the page cache).
   */
  readonly sync?: boolean;
}

export const LEVELDB_DEFAULTS: Readonly<Required<LevelDbOptions>> = Object.freeze({
  cacheSize: 4 * 1024 * 1024,
  writeBufferSize: 2 * 1024 * 1024,
  maxOpenFiles: 100,
  sync: false,
});

type Db = ClassicLevel<Buffer, Buffer>;

// Outside every store prefix: composite keys start with a non-empty store name, never U+0000.
const CHECKPOINT_KEY = Buffer.from('\u0000checkpoint', 'utf8');

function utf8(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** Maps a classic-level error (its code, or its cause's for failed opens) to what the caller must do. */
function translate(e: unknown, what: string, dir: string): AmbitError {
  if (e instanceof AmbitError) return e;
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = String(err.cause?.code ?? err.code ?? '');
  const details = { dir, levelCode: code };
  if (code === 'LEVEL_CORRUPTION')
    return new AmbitError('STATE_CORRUPTED', `${what}: LevelDB in ${dir} is corrupted`, { cause: e, details });
  if (code === 'LEVEL_LOCKED') return new AmbitError('STATE_LOCKED', `${what}: ${dir} is open elsewhere`, { cause: e, details });
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_ITERATOR_NOT_OPEN') {
    return new AmbitError('STATE_CLOSED', `${what}: LevelDB in ${dir} is closed`, { cause: e, details });
  }
  return new AmbitError('STATE_IO', `${what}: LevelDB in ${dir} failed`, { cause: e, details });
}

export class LevelDbEngine implements StorageEngine {
  readonly dir: string;
  readonly #options: Readonly<Required<LevelDbOptions>>;
  #db: Db;

  private constructor(dir: string, options: Readonly<Required<LevelDbOptions>>, db: Db) {
    this.dir = dir;
    this.#options = options;
    this.#db = db;
  }

  /**
   * Opens (creating if missing) the LevelDB in `dir`, which belongs to one task alone. A
   * store left open unsynced in an earlier boot (the machine crashed under it) is wiped
   * first: it opens empty, and the runtime restores it from the changelog.
   */
  static async open(dir: string, options: LevelDbOptions = {}): Promise<LevelDbEngine> {
    const bootId = currentBootId();
    const o = Object.freeze({ ...LEVELDB_DEFAULTS, ...options, ...(bootId === undefined ? { sync: true } : {}) });
    try {
      const leftIn = await leftOpenInBoot(dir);
      if (leftIn !== undefined && leftIn !== bootId) await rm(dir, { recursive: true, force: true });
    } catch (e) {
      throw translate(e, 'check the boot guard', dir);
    }
    const engine = new LevelDbEngine(dir, o, await openDb(dir, o));
    await engine.#guard();
    return engine;
  }

  async #guard(): Promise<void> {
    const bootId = currentBootId();
    if (this.#options.sync || bootId === undefined) return;
    try {
      await markOpenUnsynced(this.dir, bootId);
    } catch (e) {
      await this.#db.close().catch(() => undefined);
      throw translate(e, 'write the boot guard', this.dir);
    }
  }

  /**
   * Synchronous underneath (as Kafka Streams reads RocksDB): a point read is served from
   * the memtable, the block cache or the page cache in microseconds, and the async form's
   * thread-pool hop cost more than the read (18% of a busy host's CPU, bench/).
   */
  async get(key: string): Promise<Buffer | undefined> {
    try {
      return this.#db.getSync(utf8(key));
    } catch (e) {
      throw translate(e, 'get', this.dir);
    }
  }

  range(bounds: KeyBounds, reverse: boolean): AsyncIterable<Entry> {
    try {
      // Created now: classic-level takes the iterator's snapshot synchronously here.
      const it = this.#db.iterator({ gte: utf8(bounds.gte), lt: utf8(bounds.lt), reverse });
      return decode(it, this.dir);
    } catch (e) {
      throw translate(e, 'range', this.dir);
    }
  }

  async readCheckpoint(): Promise<Checkpoint | undefined> {
    let bytes: Buffer | undefined;
    try {
      bytes = await this.#db.get(CHECKPOINT_KEY);
    } catch (e) {
      throw translate(e, 'read checkpoint', this.dir);
    }
    return bytes === undefined ? undefined : decodeCheckpoint(bytes);
  }

  async write(changes: Iterable<Change>, checkpoint: Checkpoint): Promise<void> {
    try {
      const batch = this.#db.batch();
      for (const [k, v] of changes) {
        if (v === null) batch.del(utf8(k));
        else batch.put(utf8(k), v);
      }
      batch.put(CHECKPOINT_KEY, encodeCheckpoint(checkpoint));
      await batch.write({ sync: this.#options.sync });
    } catch (e) {
      throw translate(e, 'write batch', this.dir);
    }
  }

  async wipe(): Promise<void> {
    await this.close();
    try {
      await rm(this.dir, { recursive: true, force: true });
    } catch (e) {
      throw translate(e, 'wipe', this.dir);
    }
    this.#db = await openDb(this.dir, this.#options);
    await this.#guard();
  }

  /** Closes the store; an unsynced one is synced first and its boot guard removed (a clean close). */
  async close(): Promise<void> {
    try {
      if (!this.#options.sync && this.#db.status === 'open') {
        // One synced write makes every earlier unsynced batch durable (LevelDB's log is fsynced as a whole).
        const cp = await this.#db.get(CHECKPOINT_KEY);
        if (cp !== undefined) await this.#db.put(CHECKPOINT_KEY, cp, { sync: true });
        await this.#db.close();
        await markClosedCleanly(this.dir);
        return;
      }
      await this.#db.close();
    } catch (e) {
      throw translate(e, 'close', this.dir);
    }
  }
}

async function openDb(dir: string, o: Readonly<Required<LevelDbOptions>>): Promise<Db> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: true,
    cacheSize: o.cacheSize,
    writeBufferSize: o.writeBufferSize,
    maxOpenFiles: o.maxOpenFiles,
  });
  try {
    await db.open();
  } catch (e) {
    throw translate(e, 'open', dir);
  }
  return db;
}

async function* decode(it: AsyncIterable<[Buffer, Buffer]>, dir: string): AsyncGenerator<Entry> {
  try {
    for await (const [k, v] of it) yield [k.toString('utf8'), v];
  } catch (e) {
    throw translate(e, 'range', dir);
  }
}
