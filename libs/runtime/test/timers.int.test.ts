/**
 * Durable timers, in-process against the real broker: each timer fires exactly once
 * (read_committed), never before its due time; a replaced timer fires once at its new
 * time; a cancelled one never fires; a firing's outputs carry the timer in ambit-source.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { startAgent } from '../src/index.ts';
import { freshNamespace, readCommitted, type CountEvent } from './fixtures.ts';
import { eventSchema } from './fixtures.ts';

/** n >= 0: set timer `t<n>` due n*10 ms after the record; n < 0: cancel timer `t<-n>`; n % 7 == 0: set it twice (replace). */
const timerAgent = defineAgent({
  name: 'counter',
  version: '1.0.0',
  inputs: { events: input<CountEvent>('events', eventSchema) },
  stores: { fired: jsonStore<number>() },
  handlers: {
    events: (ctx, e) => {
      if (e.n < 0) return ctx.timers.cancel(`t${-e.n}`);
      ctx.timers.set(`t${e.n}`, ctx.now() + e.n * 10, { n: e.n });
      if (e.n % 7 === 0) ctx.timers.set(`t${e.n}`, ctx.now() + e.n * 10 + 500, { n: e.n, replaced: true });
    },
  },
  onTimer: async (ctx, timer) => {
    const fired = ((await ctx.stores.fired.get(ctx.key)) ?? 0) + 1;
    ctx.stores.fired.put(ctx.key, fired);
    ctx.emitDecision({
      tenant: 't',
      kind: 'timer',
      outcome: timer.name,
      detail: { dueAt: timer.dueAt, firedAt: Date.now(), payload: timer.payload },
    });
  },
});

describe('timers', () => {
  it('fire once each, never early; replace moves a timer, cancel removes it', async () => {
    const n = await freshNamespace(2);
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const events = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % 10]!, value: { tenant: 't', n: i + 1, fail: false } }));
    // Cancel every 10th timer of key k4 right away (same key, so the cancel follows the set).
    const cancels = events
      .filter((e) => e.key === 'k4' && e.value.n % 10 === 5)
      .map((e) => ({ key: 'k4', value: { tenant: 't', n: -e.value.n, fail: false } }));
    await n.produce([...events, ...cancels]);
    const cancelled = new Set(cancels.map((c) => `t${-c.value.n}`));
    const expected = events.filter((e) => !cancelled.has(`t${e.value.n}`)).length;
    const running = await startAgent(timerAgent, n.config());
    try {
      const deadline = Date.now() + 60_000;
      while ((await readCommitted(n.conn, `${n.ns}.decisions`, 2)).length < expected && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      await new Promise((r) => setTimeout(r, 1_500)); // a late duplicate would show up now
    } finally {
      await running.stop();
    }
    const decisions = await readCommitted(n.conn, `${n.ns}.decisions`, 2);
    const detail = (d: (typeof decisions)[number]) => {
      const text = d.value!.toString('latin1');
      const name = /t\d+/.exec(d.headers['ambit-source']!.toString())![0];
      return { name, source: d.headers['ambit-source']!.toString(), text };
    };
    const names = decisions.map((d) => detail(d).name);
    expect(names.length).toBe(expected);
    expect(new Set(names).size).toBe(expected); // none twice
    for (const c of cancelled) expect(names).not.toContain(c);
    for (const d of decisions) {
      const { source, text } = detail(d);
      expect(source).toMatch(/^timer\/\d\/k\d\/t\d+\/\d+$/);
      const m = /"dueAt":(\d+),"firedAt":(\d+)/.exec(text)!;
      expect(Number(m[2])).toBeGreaterThanOrEqual(Number(m[1])); // never early
      const dueInSource = Number(source.split('/').at(-1));
      expect(dueInSource).toBe(Number(m[1]));
      if (/"replaced":true/.test(text)) expect(Number(/t(\d+)/.exec(source)![1]) % 7).toBe(0);
      else expect(Number(/t(\d+)/.exec(source)![1]) % 7).not.toBe(0);
    }
  });
});
