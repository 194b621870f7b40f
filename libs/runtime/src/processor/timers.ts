/**
 * Durable per-key timers in an internal store (`ambit-timers`, changelogged like any store),
 * indexed twice so both lookups are range scans:
 *   by key:  `k\0<key>\0<name>`            -> JSON { dueAt, payload }
 *   by due:  `d\0<dueAt, 15 digits>\0<key>\0<name>` -> JSON { key, name, dueAt, payload }
 * Every write goes through the record scope, so a timer set by a record commits with it,
 * and a firing deletes the timer in the same transaction as the outputs it causes: each
 * timer fires once (invariant 9, docs/invariants.md).
 */
import type { TimerInfo, Timers } from '@ambit/agent-api';
import { AmbitError } from '@ambit/core';
import type { KeyValueStore, ReadOnlyKeyValueStore } from '@ambit/state';

export const TIMER_STORE = 'ambit-timers';

const SEP = '\u0000';
const pad = (t: number): string => String(Math.max(0, Math.floor(t))).padStart(15, '0');
const byKey = (key: string, name: string): string => `k${SEP}${key}${SEP}${name}`;
const byDue = (dueAt: number, key: string, name: string): string => `d${SEP}${pad(dueAt)}${SEP}${key}${SEP}${name}`;

export interface DueTimer extends TimerInfo {
  readonly key: string;
}

function check(name: string, dueAt: number): void {
  if (!name || name.includes(SEP)) throw new AmbitError('CONFIG_INVALID', `timer name "${name}" must be non-empty and hold no NUL`);
  if (!Number.isFinite(dueAt)) throw new AmbitError('CONFIG_INVALID', `timer ${name}: dueAt must be a number of ms since the epoch`);
}

/** The `ctx.timers` of one record (or firing) of `key`, writing through its scope. */
export function scopedTimers(store: () => KeyValueStore, key: string, enabled: boolean): Timers {
  const guard = (): void => {
    if (!enabled) throw new AmbitError('CONFIG_INVALID', 'this agent declares no onTimer handler: add one to use timers');
  };
  const remove = async (s: KeyValueStore, name: string): Promise<void> => {
    const existing = await s.get(byKey(key, name));
    if (existing === undefined) return;
    const { dueAt } = JSON.parse(existing.toString('utf8')) as { dueAt: number };
    s.delete(byKey(key, name));
    s.delete(byDue(dueAt, key, name));
  };
  // set/cancel are synchronous for the agent; the read of the old entry is chained so
  // writes apply in call order before the record completes (see `settle`).
  let chain: Promise<void> = Promise.resolve();
  const timers: Timers & { settle(): Promise<void> } = {
    set(name, dueAt, payload = null) {
      guard();
      check(name, dueAt);
      chain = chain.then(async () => {
        const s = store();
        await remove(s, name);
        s.put(byKey(key, name), Buffer.from(JSON.stringify({ dueAt, payload })));
        s.put(byDue(dueAt, key, name), Buffer.from(JSON.stringify({ key, name, dueAt, payload })));
      });
    },
    cancel(name) {
      guard();
      chain = chain.then(() => remove(store(), name));
    },
    settle: () => chain,
  };
  return timers;
}

/** Waits for the timer writes a handler queued; call before the record's scope commits. */
export async function settleTimers(t: Timers): Promise<void> {
  await (t as Timers & { settle?: () => Promise<void> }).settle?.();
}

/** Up to `limit` timers due at or before `now`, earliest first (reads open, committing and stored layers). */
export async function dueTimers(store: ReadOnlyKeyValueStore, now: number, limit: number): Promise<DueTimer[]> {
  const out: DueTimer[] = [];
  for await (const [, v] of store.range({ gte: `d${SEP}`, lt: `d${SEP}${pad(now + 1)}`, limit })) {
    const t = JSON.parse(v.toString('utf8')) as DueTimer;
    out.push(t);
  }
  return out;
}

/** Deletes a firing timer in the firing's scope (before its handler, which may set it again). */
export async function consumeTimer(s: KeyValueStore, t: DueTimer): Promise<boolean> {
  const current = await s.get(byKey(t.key, t.name));
  if (current === undefined) return false;
  const { dueAt } = JSON.parse(current.toString('utf8')) as { dueAt: number };
  if (dueAt !== t.dueAt) return false; // replaced since the scan
  s.delete(byKey(t.key, t.name));
  s.delete(byDue(t.dueAt, t.key, t.name));
  return true;
}

export const timerSource = (partition: number, t: DueTimer): string => `timer/${partition}/${t.key}/${t.name}/${t.dueAt}`;
