import { describe, expect, it } from 'vitest';
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
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
