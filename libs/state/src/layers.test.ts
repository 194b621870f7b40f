/**
 * Merged reads across the four layers (invariant 4, docs/invariants.md): record scope, open
 * transaction, committing transaction, engine. A hand-built case pins the precedence; a seeded random
 * walk compares every read with a plain Map model, on both engines.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangelogOffset } from './checkpoint.ts';
import type { StorageEngine } from './engine.ts';
import type { RangeOptions } from './key-value-store.ts';
import { LevelDbEngine } from './leveldb-engine.ts';
import { InMemoryEngine } from './memory-engine.ts';
import type { RecordScope, TaskState } from './task-state.ts';
import { openTaskStateOn } from './task-state-impl.ts';
import { b, prng, recordingPort, strings, tempDirs } from './test-support.ts';

const STORES = ['s', 's2']; // adjacent prefixes: "s\0..." and "s2\0..."

let dirs: Awaited<ReturnType<typeof tempDirs>>;
beforeEach(async () => {
  dirs = await tempDirs();
});
afterEach(async () => {
  await dirs.cleanup();
});

const engines: Array<[string, () => Promise<StorageEngine>]> = [
  ['InMemoryEngine', async () => new InMemoryEngine()],
  ['LevelDbEngine', () => LevelDbEngine.open(dirs.dir())],
];

const offset = (n: number): ChangelogOffset[] => [{ topic: 'ns.agent.s.changelog', partition: 0, topicId: 'tid', offset: n }];

describe.each(engines)('layer precedence on %s', (_name, makeEngine) => {
  it('reads see scope, open, committing, engine, with tombstones hiding lower layers', async () => {
    const task = await openTaskStateOn(await makeEngine(), STORES, { changelog: recordingPort() });
    const write = (ops: Array<[string, string | null]>): RecordScope => {
      const scope = task.beginRecord();
      const s = scope.store('s');
      for (const [k, v] of ops)
        if (v === null) s.delete(k);
        else s.put(k, b(v));
      return scope;
    };
    write(['a', 'b', 'c', 'd', 'e'].map((k) => [k, 'E'])).commit();
    task.seal();
    await task.committed(offset(5));
    write([
      ['b', 'C'],
      ['c', null],
      ['f', 'C'],
    ]).commit();
    task.seal();
    write([
      ['c', 'O'],
      ['d', null],
      ['g', 'O'],
      ['f', null],
    ]).commit();
    const scope = write([
      ['d', 'S'],
      ['e', null],
      ['g', null],
      ['h', 'S'],
    ]);

    const inScope = scope.store('s');
    const expected: Array<[string, string]> = [
      ['a', 'E'],
      ['b', 'C'],
      ['c', 'O'],
      ['d', 'S'],
      ['h', 'S'],
    ];
    expect(await strings(inScope.range())).toEqual(expected);
    expect(await strings(inScope.range({ reverse: true }))).toEqual([...expected].reverse());
    expect(await strings(inScope.range({ gte: 'b', lt: 'h', limit: 2 }))).toEqual([
      ['b', 'C'],
      ['c', 'O'],
    ]);
    expect(await strings(inScope.range({ reverse: true, limit: 2 }))).toEqual([
      ['h', 'S'],
      ['d', 'S'],
    ]);
    for (const k of 'abcdefgh') expect((await inScope.get(k))?.toString(), k).toBe(Object.fromEntries(expected)[k]);

    const outside: Array<[string, string]> = [
      ['a', 'E'],
      ['b', 'C'],
      ['c', 'O'],
      ['e', 'E'],
      ['g', 'O'],
    ];
    expect(await strings(task.store('s').range())).toEqual(outside);
    for (const k of 'abcdefgh') expect((await task.store('s').get(k))?.toString(), k).toBe(Object.fromEntries(outside)[k]);
    expect(await strings(scope.store('s2').range())).toEqual([]);
    await task.close();
  });

  it('a range iterator sees the state as of its first next()', async () => {
    const task = await openTaskStateOn(await makeEngine(), STORES, { changelog: recordingPort() });
    const seed = task.beginRecord();
    for (const k of ['a', 'b', 'c', 'd']) seed.store('s').put(k, b('1'));
    seed.commit();
    task.seal();
    await task.committed(offset(4));
    const scope = task.beginRecord();
    scope.store('s').put('b', b('2'));

    const it = scope.store('s').range();
    expect((await it.next()).value?.[0]).toBe('a');
    // Later writes, commits and deletes are not seen by this iterator.
    scope.store('s').delete('c');
    scope.store('s').put('bb', b('3'));
    const other = task.beginRecord();
    other.store('s').delete('d');
    other.commit();
    task.seal();
    await task.committed(offset(6));
    const rest: Array<[string, string]> = [];
    for await (const [k, v] of it) rest.push([k, v.toString()]);
    expect(rest).toEqual([
      ['b', '2'],
      ['c', '1'],
      ['d', '1'],
    ]);
    expect(await strings(scope.store('s').range())).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['bb', '3'],
    ]);
    await task.close();
  });
});

// --- the model ---

type Layer = Map<string, string | null>; // `${store}\0${key}` -> value, null = tombstone
const byBytes = (x: string, y: string): number => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));

class Model {
  engine = new Map<string, string>();
  committing: Layer | undefined;
  open: Layer = new Map();
  scope: Layer = new Map();

  visible(withScope: boolean): Map<string, string> {
    const out = new Map(this.engine);
    for (const layer of [this.committing ?? new Map(), this.open, withScope ? this.scope : new Map()]) {
      for (const [k, v] of layer)
        if (v === null) out.delete(k);
        else out.set(k, v);
    }
    return out;
  }

  range(withScope: boolean, store: string, o: RangeOptions): Array<[string, string]> {
    const base = `${store}\u0000`;
    let rows = [...this.visible(withScope)]
      .filter(([k]) => k.startsWith(base))
      .map(([k, v]): [string, string] => [k.slice(base.length), v])
      .filter(([k]) => (o.gte === undefined || byBytes(k, o.gte) >= 0) && (o.lt === undefined || byBytes(k, o.lt) < 0))
      .filter(([k]) => o.prefix === undefined || k.startsWith(o.prefix))
      .sort(([x], [y]) => byBytes(x, y));
    if (o.reverse) rows.reverse();
    if (o.limit !== undefined) rows = rows.slice(0, o.limit);
    return rows;
  }
}

async function randomWalk(task: TaskState, seed: number, steps: number): Promise<Model> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const alphabet = ['a', 'b', 'é', '\uffff', '😀', '\u0000'];
  const key = (): string => Array.from({ length: Math.floor(rnd() * 3) }, () => pick(alphabet)).join('');
  const m = new Model();
  let scope = task.beginRecord();
  let checks = 0;

  for (let step = 0; step < steps; step++) {
    const r = rnd();
    const store = pick(STORES);
    const at = `step ${step} (seed ${seed})`;
    if (r < 0.35) {
      const k = key();
      scope.store(store).put(k, b(`v${step}`));
      m.scope.set(`${store}\u0000${k}`, `v${step}`);
    } else if (r < 0.47) {
      const k = key();
      scope.store(store).delete(k);
      m.scope.set(`${store}\u0000${k}`, null);
    } else if (r < 0.57) {
      scope.commit();
      for (const [k, v] of m.scope) m.open.set(k, v);
      scope = task.beginRecord();
      m.scope = new Map();
    } else if (r < 0.6) {
      scope.discard();
      scope = task.beginRecord();
      m.scope = new Map();
    } else if (r < 0.66) {
      if (task.transaction === 'open') {
        task.seal();
        m.committing = m.open;
        m.open = new Map();
      }
    } else if (r < 0.73) {
      if (task.transaction === 'committing') {
        await task.committed(offset(step));
        for (const [k, v] of m.committing ?? [])
          if (v === null) m.engine.delete(k);
          else m.engine.set(k, v);
        m.committing = undefined;
        expect(task.readCheckpoint()?.changelogs[0]?.offset, at).toBe(step);
      }
    } else if (r < 0.76) {
      task.aborted();
      m.open = new Map();
      m.committing = undefined;
      scope.discard(); // began in the aborted transaction
      scope = task.beginRecord();
      m.scope = new Map();
    } else {
      checks++;
      const k = key();
      expect((await scope.store(store).get(k))?.toString(), `${at} get ${JSON.stringify(k)}`).toBe(
        m.visible(true).get(`${store}\u0000${k}`),
      );
      expect((await task.store(store).get(k))?.toString(), `${at} task get`).toBe(m.visible(false).get(`${store}\u0000${k}`));
      const o: RangeOptions = {
        ...(rnd() < 0.3 ? { gte: key() } : {}),
        ...(rnd() < 0.3 ? { lt: key() } : {}),
        ...(rnd() < 0.3 ? { prefix: key() } : {}),
        ...(rnd() < 0.3 ? { limit: Math.floor(rnd() * 4) } : {}),
        ...(rnd() < 0.5 ? { reverse: true } : {}),
      };
      expect(await strings(scope.store(store).range(o)), `${at} range ${JSON.stringify(o)}`).toEqual(m.range(true, store, o));
      expect(await strings(task.store(store).range(o)), `${at} task range ${JSON.stringify(o)}`).toEqual(m.range(false, store, o));
    }
  }
  expect(checks).toBeGreaterThan(steps / 5);
  expect(task.bufferedBytes() === 0).toBe(m.open.size === 0 && (m.committing?.size ?? 0) === 0);
  return m;
}

describe.each(engines)('merged reads against a Map model on %s', (name, makeEngine) => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, async () => {
      const task = await openTaskStateOn(await makeEngine(), STORES, { changelog: recordingPort() });
      const m = await randomWalk(task, seed, 800);
      if (name !== 'LevelDbEngine') return task.close();
      // Only what Kafka committed survives a restart.
      await task.close();
      const reopened = await openTaskStateOn(await LevelDbEngine.open(dirs.dir()), STORES, { changelog: recordingPort() });
      m.committing = undefined;
      m.open = new Map();
      m.scope = new Map();
      for (const store of STORES) expect(await strings(reopened.store(store).range())).toEqual(m.range(false, store, {}));
      await reopened.close();
    });
  }
});
