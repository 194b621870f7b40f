/** TaskState over a real LevelDB in a temp directory: atomic commits, aborts, crashes, restore, wipe. */
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmbitError } from '@ambit/core';
// eslint-disable-next-line no-restricted-imports -- the test corrupts a checkpoint behind the engine's back
import { ClassicLevel } from 'classic-level';
import { currentBootId } from './boot-guard.ts';
import type { ChangelogOffset, Checkpoint } from './checkpoint.ts';
import { InMemoryEngine } from './memory-engine.ts';
import type { TaskState } from './task-state.ts';
import { deleteTaskState, openTaskState, openTaskStateOn } from './task-state-impl.ts';
import { b, codeOf, recordingPort, strings, tempDirs } from './test-support.ts';

const STORES = ['users', 'orders'];
const TOPIC = 'ns.agent.users.changelog';
const at = (offset: number, partition = 3, topicId = 'tid-1'): ChangelogOffset => ({ topic: TOPIC, partition, topicId, offset });

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let open: TaskState[];
beforeEach(async () => {
  dirs = await tempDirs();
  open = [];
});
afterEach(async () => {
  for (const t of open) await t.close();
  await dirs.cleanup();
});

async function task(now = 1_000): Promise<TaskState> {
  const t = await openTaskState(dirs.dir(), STORES, { changelog: recordingPort(), clock: () => now });
  open.push(t);
  return t;
}

/** Commits one record with `writes` into the open layer. */
function record(t: TaskState, writes: Record<string, string | null>, store = 'users'): void {
  const scope = t.beginRecord();
  for (const [k, v] of Object.entries(writes))
    if (v === null) scope.store(store).delete(k);
    else scope.store(store).put(k, b(v));
  scope.commit();
}

async function commit(t: TaskState, offsets: ChangelogOffset[]): Promise<void> {
  t.seal();
  await t.committed(offsets);
}

describe('committed()', () => {
  it('writes the data and the checkpoint in one batch that survives a reopen', async () => {
    const t = await task(1_234);
    record(t, { a: '1', b: '2' });
    record(t, { x: 'o' }, 'orders');
    await commit(t, [at(3)]);
    expect(t.bufferedBytes()).toBe(0);
    await t.close();

    const again = await task();
    const expected: Checkpoint = { changelogs: [at(3)], writtenAt: 1_234 };
    expect(again.readCheckpoint()).toEqual(expected);
    expect(await strings(again.store('users').range())).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(await strings(again.store('orders').range())).toEqual([['x', 'o']]);
  });

  it('merges offsets into the checkpoint: partitions not named keep theirs', async () => {
    const t = await task();
    await commit(t, [at(3, 0), at(7, 1)]);
    await commit(t, [at(9, 1)]);
    expect(t.readCheckpoint()?.changelogs).toEqual([at(3, 0), at(9, 1)]);
    t.seal();
    expect(await codeOf(() => t.committed([at(10, 0, 'tid-2')]))).toBe('STATE_CHANGELOG_RECREATED');
    expect(await codeOf(() => t.committed([at(10, 0), at(11, 0)]))).toBe('STATE_INVALID_ARGUMENT');
    expect(await codeOf(() => t.committed([{ ...at(1), offset: -1 }]))).toBe('STATE_INVALID_ARGUMENT');
    expect(t.transaction).toBe('committing'); // a rejected checkpoint changes nothing
  });

  it('leaves the buffer committing when the engine write fails, so it can be retried', async () => {
    let failures = 1;
    class FlakyEngine extends InMemoryEngine {
      override async write(...args: Parameters<InMemoryEngine['write']>): Promise<void> {
        if (failures-- > 0) throw new AmbitError('STATE_IO', 'disk full');
        return super.write(...args);
      }
    }
    const t = await openTaskStateOn(new FlakyEngine(), STORES, { changelog: recordingPort() });
    record(t, { a: '1' });
    t.seal();
    expect(await codeOf(() => t.committed([at(1)]))).toBe('STATE_IO');
    expect(t.transaction).toBe('committing');
    expect(t.readCheckpoint()).toBeUndefined();
    expect((await t.store('users').get('a'))?.toString()).toBe('1');
    await t.committed([at(1)]);
    expect(t.readCheckpoint()?.changelogs).toEqual([at(1)]);
    expect(t.bufferedBytes()).toBe(0);
  });

  it('follows the transaction state machine', async () => {
    const t = await task();
    expect(await codeOf(() => t.committed([]))).toBe('STATE_ILLEGAL_STATE');
    record(t, { a: '1' });
    t.seal();
    expect(await codeOf(() => t.seal())).toBe('STATE_ILLEGAL_STATE');
    const applying = t.committed([at(1)]);
    expect(t.transaction).toBe('applying');
    expect(await codeOf(() => t.aborted())).toBe('STATE_ILLEGAL_STATE');
    record(t, { b: '2' }); // records keep completing while the batch is written
    expect((await t.store('users').get('a'))?.toString()).toBe('1');
    await applying;
    expect(t.transaction).toBe('open');
    expect(await strings(t.store('users').range())).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});

describe('aborted()', () => {
  it('drops the open and the committing layers, including work staged during the commit', async () => {
    const t = await task();
    record(t, { kept: 'yes' });
    await commit(t, [at(1)]);
    record(t, { a: '1', kept: null });
    t.seal();
    record(t, { b: '2' }); // completed while the commit was under way
    expect(t.bufferedBytes()).toBeGreaterThan(0);
    t.aborted();

    expect(t.transaction).toBe('open');
    expect(t.bufferedBytes()).toBe(0);
    expect(await strings(t.store('users').range())).toEqual([['kept', 'yes']]);
    expect(t.readCheckpoint()?.changelogs).toEqual([at(1)]);
    expect(await codeOf(() => t.committed([at(2)]))).toBe('STATE_ILLEGAL_STATE');
  });
});

describe('crashes', () => {
  it('close without committed(): the reopened store has only the last commit and its checkpoint', async () => {
    const t = await task(5);
    record(t, { a: '1' });
    await commit(t, [at(1)]);
    record(t, { a: '2', b: '2' });
    t.seal();
    record(t, { c: '3' });
    await t.close();

    const again = await task();
    expect(await strings(again.store('users').range())).toEqual([['a', '1']]);
    expect(again.readCheckpoint()).toEqual({ changelogs: [at(1)], writtenAt: 5 });
  });

  it('SIGKILL mid-transaction: the same, after LevelDB recovers its log', async () => {
    const dir = dirs.dir();
    const script = dirs.dir('child.mts'); // .mts: the temp dir has no package.json saying ESM
    const index = pathToFileURL(join(import.meta.dirname, 'index.ts')).href;
    const repoRoot = join(import.meta.dirname, '../../..'); // where `--import tsx` resolves
    await writeFile(
      script,
      `import { openTaskState } from ${JSON.stringify(index)};
       const t = await openTaskState(${JSON.stringify(dir)}, ['users'], { changelog: { append() {} }, clock: () => 7 });
       const put = (k, v) => { const s = t.beginRecord(); s.store('users').put(k, Buffer.from(v)); s.commit(); };
       for (let i = 0; i < 50; i++) put('k' + String(i).padStart(2, '0'), 'v' + i);
       t.seal();
       await t.committed([{ topic: ${JSON.stringify(TOPIC)}, partition: 3, topicId: 'tid-1', offset: 50 }]);
       put('k00', 'lost'); put('late', 'lost');
       t.seal();
       put('later', 'lost');
       process.kill(process.pid, 'SIGKILL');`,
    );
    const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('exit', (code, sig) => (sig === null ? reject(new Error(`child exited ${code}: ${err}`)) : resolve(sig)));
    });
    expect(signal).toBe('SIGKILL');

    const again = await task();
    const rows = await strings(again.store('users').range());
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual(['k00', 'v0']);
    expect(again.readCheckpoint()).toEqual({ changelogs: [at(50)], writtenAt: 7 });
  });
});

describe('machine crashes (boot guard: batches are not fsynced)', () => {
  const marker = (dir: string) => join(dir, 'AMBIT-UNSYNCED-BOOT');

  it('an open store names this boot in its marker; a clean close syncs and removes it', async () => {
    const dir = dirs.dir();
    const t = await openTaskState(dir, STORES, { changelog: recordingPort(), clock: () => 9 });
    record(t, { a: '1' });
    await commit(t, [at(1)]);
    expect((await readFile(marker(dir), 'utf8')).trim()).toBe(currentBootId());
    await t.close();
    expect(await readdir(dir)).not.toContain('AMBIT-UNSYNCED-BOOT');
    const again = await openTaskState(dir, STORES, { changelog: recordingPort() });
    open.push(again);
    expect(await strings(again.store('users').range())).toEqual([['a', '1']]);
  });

  it('a store left open in another boot (the machine went down under it) opens empty, to be restored from its changelog', async () => {
    const dir = dirs.dir();
    const t = await openTaskState(dir, STORES, { changelog: recordingPort(), clock: () => 9 });
    record(t, { a: '1', b: '2' });
    await commit(t, [at(2)]);
    await t.close();
    await writeFile(marker(dir), 'a-boot-before-the-crash');
    const again = await openTaskState(dir, STORES, { changelog: recordingPort() });
    open.push(again);
    expect(await strings(again.store('users').range())).toEqual([]);
    expect(again.readCheckpoint()).toBeUndefined();
    expect((await readFile(marker(dir), 'utf8')).trim()).toBe(currentBootId());
  });

  it('a store left open in this boot (a process crash) is kept: the page cache has every batch', async () => {
    const dir = dirs.dir();
    const t = await openTaskState(dir, STORES, { changelog: recordingPort(), clock: () => 9 });
    record(t, { a: '1' });
    await commit(t, [at(1)]);
    await t.close();
    await writeFile(marker(dir), currentBootId()!);
    const again = await openTaskState(dir, STORES, { changelog: recordingPort() });
    open.push(again);
    expect(await strings(again.store('users').range())).toEqual([['a', '1']]);
    expect(again.readCheckpoint()).toEqual({ changelogs: [at(1)], writtenAt: 9 });
  });
});

describe('restore', () => {
  it('applyRestoreBatch applies records in order with their checkpoint, atomically', async () => {
    const t = await task(42);
    await t.applyRestoreBatch(
      [
        { store: 'users', key: 'a', value: b('1') },
        { store: 'users', key: 'b', value: b('2') },
        { store: 'orders', key: 'o', value: b('x') },
        { store: 'users', key: 'a', value: b('3') },
        { store: 'users', key: 'b', value: null },
      ],
      [at(5, 0), { topic: 'ns.agent.orders.changelog', partition: 0, topicId: 'tid-o', offset: 1 }],
    );
    await t.applyRestoreBatch([{ store: 'users', key: 'c', value: b('4') }], [at(6, 0)]);
    await t.close();

    const again = await task();
    expect(await strings(again.store('users').range())).toEqual([
      ['a', '3'],
      ['c', '4'],
    ]);
    expect(await strings(again.store('orders').range())).toEqual([['o', 'x']]);
    expect(again.readCheckpoint()).toEqual({
      changelogs: [{ topic: 'ns.agent.orders.changelog', partition: 0, topicId: 'tid-o', offset: 1 }, at(6, 0)],
      writtenAt: 42,
    });
  });

  it('refuses to restore under buffered writes, unknown stores and a recreated changelog', async () => {
    const t = await task();
    await t.applyRestoreBatch([], [at(1)]);
    expect(await codeOf(() => t.applyRestoreBatch([{ store: 'nope', key: 'k', value: null }], [at(2)]))).toBe('STATE_INVALID_ARGUMENT');
    expect(await codeOf(() => t.applyRestoreBatch([], [at(2, 3, 'tid-2')]))).toBe('STATE_CHANGELOG_RECREATED');
    record(t, { a: '1' });
    expect(await codeOf(() => t.applyRestoreBatch([], [at(2)]))).toBe('STATE_ILLEGAL_STATE');
    expect(t.readCheckpoint()?.changelogs).toEqual([at(1)]);
  });
});

describe('wipe()', () => {
  it('deletes the directory and buffers, reopens empty, and accepts a new changelog', async () => {
    const t = await task();
    record(t, { a: '1' });
    await commit(t, [at(9)]);
    const inFlight = t.beginRecord();
    record(t, { b: '2' });
    await t.wipe();

    expect(t.readCheckpoint()).toBeUndefined();
    expect(t.bufferedBytes()).toBe(0);
    expect(await strings(t.store('users').range())).toEqual([]);
    expect(await codeOf(() => inFlight.commit())).toBe('STATE_ILLEGAL_STATE');
    await t.applyRestoreBatch([{ store: 'users', key: 'z', value: b('new') }], [at(1, 3, 'tid-2')]);
    await t.close();
    const again = await task();
    expect(await strings(again.store('users').range())).toEqual([['z', 'new']]);
    expect(again.readCheckpoint()?.changelogs).toEqual([at(1, 3, 'tid-2')]);
  });
});

describe('LevelDB specifics', () => {
  it('orders non-ASCII keys by UTF-8 bytes in the engine and across layers', async () => {
    const keys = ['z', '\uffff', '😀', 'é', 'a', '\u0000', 'a\u0000', '', '\ue000', '😀a'];
    const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const t = await task();
    record(t, Object.fromEntries(keys.filter((_, i) => i % 2 === 0).map((k) => [k, 'engine'])));
    await commit(t, [at(1)]);
    record(t, Object.fromEntries(keys.filter((_, i) => i % 2 === 1).map((k) => [k, 'open'])));
    expect((await strings(t.store('users').range())).map(([k]) => k)).toEqual(sorted);
    expect((await strings(t.store('users').range({ reverse: true }))).map(([k]) => k)).toEqual([...sorted].reverse());
    expect((await strings(t.store('users').range({ prefix: '😀' }))).map(([k]) => k)).toEqual(['😀', '😀a']);
    expect((await strings(t.store('users').range({ gte: '\uffff', lt: '😀a' }))).map(([k]) => k)).toEqual(['\uffff', '😀']);
    await commit(t, [at(2)]);
    await t.close();
    const again = await task();
    expect((await strings(again.store('users').range())).map(([k]) => k)).toEqual(sorted);
  });

  it('maps LevelDB failures to codes that say what to do', async () => {
    const t = await task();
    expect(await codeOf(() => openTaskState(dirs.dir(), STORES, { changelog: recordingPort() }))).toBe('STATE_LOCKED');
    await t.close();
    expect(await codeOf(() => t.store('users').get('a'))).toBe('STATE_CLOSED');
    await t.close(); // idempotent

    // A checkpoint nobody can read.
    const raw = new ClassicLevel<Buffer, Buffer>(dirs.dir(), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.put(Buffer.from('\u0000checkpoint'), b('{not json'));
    await raw.close();
    expect(await codeOf(() => task())).toBe('STATE_CORRUPTED');

    // A store LevelDB cannot open: delete it without opening, then start over.
    for (const f of await readdir(dirs.dir())) if (f.startsWith('MANIFEST')) await writeFile(join(dirs.dir(), f), 'garbage');
    expect(await codeOf(() => task())).toBe('STATE_CORRUPTED');
    await deleteTaskState(dirs.dir());
    expect((await task()).readCheckpoint()).toBeUndefined();
  });

  it('rejects bad store lists before touching the disk', async () => {
    expect(await codeOf(() => openTaskState(dirs.dir(), ['users', 'users'], { changelog: recordingPort() }))).toBe(
      'STATE_INVALID_ARGUMENT',
    );
    expect(await codeOf(() => openTaskState(dirs.dir(), ['a.b'], { changelog: recordingPort() }))).toBe('STATE_INVALID_ARGUMENT');
  });
});
