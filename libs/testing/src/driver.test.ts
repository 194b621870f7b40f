import { describe, expect, it } from 'vitest';
import { defineAgent, input, jsonStore, output } from '@ambit/agent-api';
import { createTestDriver } from './driver.ts';

const schema = { type: 'record', name: 'Ping', fields: [{ name: 'n', type: 'int' }] };
const agent = defineAgent({
  name: 'pinger',
  version: '1',
  inputs: { pings: input<{ n: number }>('pings', schema) },
  stores: { seen: jsonStore<number[]>() },
  handlers: {
    pings: async (ctx, p) => {
      if (p.n < 0) throw new Error('negative');
      const seen = (await ctx.stores.seen.get(ctx.key)) ?? [];
      ctx.stores.seen.put(ctx.key, [...seen, p.n]);
      ctx.timers.set('reminder', ctx.now() + 1_000, { n: p.n });
      ctx.emitDecision({ tenant: 't', kind: 'ping', outcome: String(p.n) });
    },
  },
  onTimer: (ctx, t) => {
    ctx.emitEffect({ tenant: 't', effectType: 'remind', target: ctx.key, payload: t.payload });
  },
});

describe('in-memory test driver', () => {
  it('pipes records, keeps state per key, replaces timers and fires them when time advances', async () => {
    const d = await createTestDriver(agent, { startTime: 10_000 });
    await d.pipe('pings', 'a', { n: 1 });
    await d.pipe('pings', 'a', { n: 2 }, { timestamp: 10_500 });
    await d.pipe('pings', 'b', { n: 3 });
    expect(await d.get('seen', 'a')).toEqual([1, 2]);
    expect(await d.entries('seen')).toEqual([
      ['a', [1, 2]],
      ['b', [3]],
    ]);
    expect(d.decisions.map((x) => [x.key, x.input.outcome, x.source])).toEqual([
      ['a', '1', 'pings/0/0'],
      ['a', '2', 'pings/0/1'],
      ['b', '3', 'pings/0/2'],
    ]);
    await d.advanceTime(999);
    expect(d.effects).toHaveLength(0); // nothing due before 11,000
    await d.advanceTime({ to: 11_000 });
    expect(d.effects.map((e) => [e.key, e.source])).toEqual([['b', 'timer/0/b/reminder/11000']]);
    await d.advanceTime(10_000);
    // a's first reminder was replaced by the second (due 11,500): it fires once.
    expect(d.effects.map((e) => [e.key, e.source])).toEqual([
      ['b', 'timer/0/b/reminder/11000'],
      ['a', 'timer/0/a/reminder/11500'],
    ]);
    await d.close();
  });

  it('a failing record leaves no trace and is dead-lettered after its attempts', async () => {
    const d = await createTestDriver(agent, { handlerAttempts: 2 });
    await d.pipe('pings', 'a', { n: -1 });
    expect(await d.get('seen', 'a')).toBeUndefined();
    expect(d.decisions).toHaveLength(0);
    expect(d.deadLetters).toMatchObject([{ key: 'a', source: 'pings/0/0', attempts: 2 }]);
    await d.close();
  });

  it('ids are deterministic across runs', async () => {
    const ids = async () => {
      const d = await createTestDriver(agent);
      await d.pipe('pings', 'a', { n: 1 });
      const out = d.decisions.map((x) => x.id);
      await d.close();
      return out;
    };
    expect(await ids()).toEqual(await ids());
  });
});

describe('the driver runs the runtime record processor', () => {
  const out = { type: 'record', name: 'Pong', fields: [{ name: 'n', type: 'int' }] };
  const sender = defineAgent({
    name: 'sender',
    version: '1',
    inputs: { pings: input<{ n: number }>('pings', schema) },
    outputs: { pongs: output<{ n: number }>('pongs', out) },
    stores: { last: jsonStore<number>() },
    handlers: {
      pings: async (ctx, p) => {
        if (p.n === 7) {
          // Another key's state: refused under key-level concurrency.
          ctx.stores.last.put('someone-else', p.n);
        }
        if (p.n === 8) {
          for await (const _ of ctx.stores.last.range()) break;
        }
        if (p.n === 9) await new Promise((r) => setTimeout(r, 200));
        if (p.n === 10) await ctx.step('big', () => 'x'.repeat(300 * 1024));
        ctx.stores.last.put(ctx.key, p.n);
        ctx.send('pongs', `${ctx.key}/out`, { n: p.n * 2 }, { headers: { 'x-trace': 't' } });
      },
    },
  });

  it('ctx.send records a declared output with its key, value and headers, and nothing when the record fails', async () => {
    const d = await createTestDriver(sender, { handlerAttempts: 1, keyScoped: true });
    await d.pipe('pings', 'a', { n: 1 });
    await d.pipe('pings', 'b', { n: 7 });
    expect(d.sent).toEqual([{ output: 'pongs', key: 'a/out', value: { n: 2 }, headers: { 'x-trace': 't' }, source: 'pings/0/0' }]);
    expect(await d.get('last', 'b')).toBeUndefined();
    await d.close();
  });

  it('sending to an undeclared output dead-letters the record with CONFIG_INVALID', async () => {
    const bad = defineAgent({
      name: 'bad-sender',
      version: '1',
      inputs: { pings: input<{ n: number }>('pings', schema) },
      stores: {},
      handlers: { pings: (ctx) => (ctx as unknown as { send: (o: string, k: string, v: unknown) => void }).send('nowhere', ctx.key, {}) },
    });
    const d = await createTestDriver(bad);
    await d.pipe('pings', 'a', { n: 1 });
    expect(d.deadLetters).toHaveLength(1);
    expect(d.deadLetters[0]!.attempts).toBe(1); // a TerminalError: not retried
    expect((d.deadLetters[0]!.error as { code: string }).code).toBe('CONFIG_INVALID');
    await d.close();
  });

  it('with key-level concurrency, writes and range scans outside the record key are refused at once with RUNTIME_STATE_KEY_SCOPE', async () => {
    const d = await createTestDriver(sender, { keyScoped: true });
    await d.pipe('pings', 'a', { n: 7 });
    await d.pipe('pings', 'b', { n: 8 });
    await d.pipe('pings', 'c', { n: 3 });
    expect(d.deadLetters.map((x) => [x.key, x.attempts, (x.error as { code: string }).code])).toEqual([
      ['a', 1, 'RUNTIME_STATE_KEY_SCOPE'],
      ['b', 1, 'RUNTIME_STATE_KEY_SCOPE'],
    ]);
    expect(String((d.deadLetters[0]!.error as Error).message)).toMatch(/only its record's key \("a"\)/);
    expect(await d.entries('last')).toEqual([['c', 3]]);
    await d.close();
    // Without key-level concurrency the same access is allowed.
    const free = await createTestDriver(sender);
    await free.pipe('pings', 'a', { n: 7 });
    await free.pipe('pings', 'b', { n: 8 });
    expect(free.deadLetters).toHaveLength(0);
    expect(await free.entries('last')).toEqual([
      ['a', 7],
      ['b', 8],
      ['someone-else', 7],
    ]);
    await free.close();
  });

  it('applies the runtime handler deadline and the 256 KiB step cap', async () => {
    const d = await createTestDriver(sender, { handlerTimeoutMs: 50, handlerAttempts: 2 });
    await d.pipe('pings', 'slow', { n: 9 });
    await d.pipe('pings', 'big', { n: 10 });
    expect(d.deadLetters.map((x) => [x.key, x.attempts, (x.error as { code: string }).code])).toEqual([
      ['slow', 2, 'RUNTIME_HANDLER_TIMEOUT'],
      ['big', 1, 'RUNTIME_STEP_TOO_LARGE'],
    ]);
    expect(d.sent).toHaveLength(0);
    await d.close();
  });
});
