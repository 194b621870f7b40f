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
   * fsync every batch. Off, a machine crash can lose a batch from the middle of LevelDB's
   * log while keeping later ones (LevelDB skips corrupt log records), leaving data that
   * disagrees with its checkpoint; a process crash alone is safe either way.
   */
  readonly sync?: boolean;
}

export const LEVELDB_DEFAULTS: Readonly<Required<LevelDbOptions>> = Object.freeze({
  cacheSize: 4 * 1024 * 1024,
  writeBufferSize: 2 * 1024 * 1024,
  maxOpenFiles: 100,
  sync: true,
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

  /** Opens (creating if missing) the LevelDB in `dir`, which belongs to one task alone. */
  static async open(dir: string, options: LevelDbOptions = {}): Promise<LevelDbEngine> {
    const o = Object.freeze({ ...LEVELDB_DEFAULTS, ...options });
    return new LevelDbEngine(dir, o, await openDb(dir, o));
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
  }

  async close(): Promise<void> {
    try {
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
