/**
 * Test agents, free of test-only imports so host processes can load them as agent modules
 * (`--module libs/runtime/test/agents.ts --agent <name>`).
 */
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { createModelClient } from '@ambit/model';

export const eventSchema = {
  type: 'record',
  name: 'CountEvent',
  namespace: 'dev.ambit.test',
  fields: [
    { name: 'tenant', type: 'string' },
    { name: 'n', type: 'int' },
    { name: 'fail', type: 'boolean', default: false },
  ],
};
export interface CountEvent {
  tenant: string;
  n: number;
  fail: boolean;
}
export interface Tally {
  count: number;
  sum: number;
  seq: number[];
}

/** Folds each key's events into a tally and decides every time; `fail` events write state, then throw. */
export const counter = defineAgent({
  name: 'counter',
  version: '1.0.0',
  inputs: { events: input<CountEvent>('events', eventSchema) },
  stores: { tallies: jsonStore<Tally>() },
  handlers: {
    events: async (ctx, e) => {
      const prev = (await ctx.stores.tallies.get(ctx.key)) ?? { count: 0, sum: 0, seq: [] };
      const next = { count: prev.count + 1, sum: prev.sum + e.n, seq: [...prev.seq, e.n].slice(-20) };
      ctx.stores.tallies.put(ctx.key, next);
      if (e.fail) throw new Error(`event ${e.n} asked to fail`);
      ctx.emitDecision({ tenant: e.tenant, kind: 'count', outcome: String(next.count) });
      if (e.n % 10 === 0) ctx.emitEffect({ tenant: e.tenant, effectType: 'notify', target: ctx.key, payload: { n: e.n } });
    },
  },
});

/** Delay of timer `t<n>` after the record that sets it: 2 s to 42 s, spread by n. */
export const timerDelayMs = (n: number): number => 2_000 + ((n * 7919) % 1000) * 40;

/** Each event n sets timer `t<n>` due `timerDelayMs(n)` after the record; each firing decides once, naming the timer. */
export const delayed = defineAgent({
  name: 'delayed',
  version: '1.0.0',
  inputs: { events: input<CountEvent>('events', eventSchema) },
  stores: { fired: jsonStore<number>() },
  handlers: {
    events: (ctx, e) => ctx.timers.set(`t${e.n}`, ctx.now() + timerDelayMs(e.n)),
  },
  onTimer: async (ctx, timer) => {
    const fired = ((await ctx.stores.fired.get(ctx.key)) ?? 0) + 1;
    ctx.stores.fired.put(ctx.key, fired);
    ctx.emitDecision({ tenant: 't', kind: 'timer', outcome: timer.name, detail: { dueAt: timer.dueAt } });
  },
});

/**
 * Asks a model about every event in a durable step (events with `fail` carry the fake
 * server's failure marker), folds the full input sequence per key, decides once per event.
 */
export function stepper(modelUrl: string, clientId = 'in-process') {
  const model = createModelClient({ baseUrl: modelUrl, model: 'fake', clientId });
  return defineAgent({
    name: 'stepper',
    version: '1.0.0',
    inputs: { events: input<CountEvent>('events', eventSchema) },
    stores: { tallies: jsonStore<Tally>() },
    handlers: {
      events: async (ctx, e) => {
        const question = `${e.fail ? 'ALWAYS-FAIL ' : ''}event ${e.n} of ${ctx.key}`;
        const answer = await ctx.step(
          'ask',
          async (s) => (await model.chat({ messages: [{ role: 'user', content: question }] }, s)).content,
          {
            attempts: 4,
            backoffMs: 300,
            input: question,
          },
        );
        const prev = (await ctx.stores.tallies.get(ctx.key)) ?? { count: 0, sum: 0, seq: [] };
        ctx.stores.tallies.put(ctx.key, { count: prev.count + 1, sum: prev.sum + e.n, seq: [...prev.seq, e.n] });
        ctx.emitDecision({ tenant: e.tenant, kind: 'asked', outcome: String(e.n), detail: { answer } });
      },
    },
  });
}
