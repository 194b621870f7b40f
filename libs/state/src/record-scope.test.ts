import { describe, expect, it } from 'vitest';
import { InMemoryEngine } from './memory-engine.ts';
import { openTaskStateOn } from './task-state-impl.ts';
import { b, codeOf, recordingPort, strings } from './test-support.ts';

async function open() {
  const changelog = recordingPort();
  const task = await openTaskStateOn(new InMemoryEngine(), ['users', 'orders'], { changelog });
  return { task, changelog };
}

describe('RecordScope', () => {
  it('a discarded scope leaves no trace in reads or the changelog', async () => {
    const { task, changelog } = await open();
    const scope = task.beginRecord();
    const users = scope.store('users');
    users.put('u1', b('alice'));
    users.delete('u2');
    expect((await users.get('u1'))?.toString()).toBe('alice'); // its own writes are visible to it
    scope.discard();

    expect(scope.status).toBe('discarded');
    expect(changelog.appended).toEqual([]);
    expect(task.bufferedBytes()).toBe(0);
    expect(await task.store('users').get('u1')).toBeUndefined();
    expect(await strings(task.store('users').range())).toEqual([]);
    const next = task.beginRecord().store('users');
    expect(await next.get('u1')).toBeUndefined();
    expect(await codeOf(() => users.put('u3', b('x')))).toBe('STATE_ILLEGAL_STATE');
  });

  it('is invisible to other scopes until it commits', async () => {
    const { task } = await open();
    const a = task.beginRecord();
    const other = task.beginRecord();
    a.store('users').put('u1', b('alice'));
    expect(await other.store('users').get('u1')).toBeUndefined();
    expect(await task.store('users').get('u1')).toBeUndefined();
    a.commit();
    expect((await other.store('users').get('u1'))?.toString()).toBe('alice');
    expect((await task.store('users').get('u1'))?.toString()).toBe('alice');
  });

  it('commit appends once per final key change, in the order of each key last write', async () => {
    const { task, changelog } = await open();
    const scope = task.beginRecord();
    const users = scope.store('users');
    const orders = scope.store('orders');
    users.put('a', b('1'));
    orders.put('a', b('o1'));
    users.put('b', b('2'));
    users.put('a', b('3')); // supersedes a=1 and moves a after b
    users.delete('c');
    orders.delete('a');
    scope.commit();

    expect(changelog.appended).toEqual([
      ['users', 'b', '2'],
      ['users', 'a', '3'],
      ['users', 'c', null],
      ['orders', 'a', null],
    ]);
    expect(scope.status).toBe('committed');
    scope.discard(); // a no-op once committed: safe in a finally
    expect(await strings(task.store('users').range())).toEqual([
      ['a', '3'],
      ['b', '2'],
    ]);
    expect(await task.store('orders').get('a')).toBeUndefined();
  });

  it('copies put values, so the caller may reuse its buffer', async () => {
    const { task, changelog } = await open();
    const scope = task.beginRecord();
    const buf = b('v1');
    scope.store('users').put('k', buf);
    buf.write('XX');
    scope.commit();
    expect(changelog.appended).toEqual([['users', 'k', 'v1']]);
    expect((await task.store('users').get('k'))?.toString()).toBe('v1');
  });

  it('a scope that began before an abort cannot commit into the next transaction', async () => {
    const { task, changelog } = await open();
    const inFlight = task.beginRecord();
    inFlight.store('users').put('k', b('v'));
    task.aborted();
    expect(await codeOf(() => inFlight.commit())).toBe('STATE_ILLEGAL_STATE');
    inFlight.discard();
    expect(changelog.appended).toEqual([]);
    expect(await task.store('users').get('k')).toBeUndefined();
  });

  it('a scope that began before seal commits into the fresh open layer', async () => {
    const { task } = await open();
    const early = task.beginRecord();
    early.store('users').put('k', b('v'));
    task.seal();
    early.commit();
    await task.committed([]);
    // Not part of the committed transaction: still buffered, and dropped by an abort.
    expect(task.bufferedBytes()).toBeGreaterThan(0);
    task.aborted();
    expect(await task.store('users').get('k')).toBeUndefined();
  });

  it('when the port throws, nothing is promoted and the scope is discarded', async () => {
    const task = await openTaskStateOn(new InMemoryEngine(), ['users'], {
      changelog: {
        append: () => {
          throw new Error('producer gone');
        },
      },
    });
    const scope = task.beginRecord();
    scope.store('users').put('k', b('v'));
    expect(() => scope.commit()).toThrow('producer gone');
    expect(scope.status).toBe('discarded');
    expect(await task.store('users').get('k')).toBeUndefined();
  });

  it('rejects unknown stores and ill-formed keys with stable codes', async () => {
    const { task } = await open();
    const scope = task.beginRecord();
    expect(await codeOf(() => scope.store('nope'))).toBe('STATE_INVALID_ARGUMENT');
    expect(await codeOf(() => scope.store('users').put('\ud800', b('x')))).toBe('STATE_INVALID_ARGUMENT');
    expect(await codeOf(() => scope.store('users').put('k', 'x' as unknown as Buffer))).toBe('STATE_INVALID_ARGUMENT');
    expect(await codeOf(() => strings(scope.store('users').range({ limit: -1 })))).toBe('STATE_INVALID_ARGUMENT');
    await task.close();
    expect(await codeOf(() => scope.store('users').get('k'))).toBe('STATE_CLOSED');
    expect(await codeOf(() => task.beginRecord())).toBe('STATE_CLOSED');
  });
});
