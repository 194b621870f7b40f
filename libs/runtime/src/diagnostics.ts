/**
 * Runtime diagnostics on node:diagnostics_channel (principle 11, docs/principles.md): libs/telemetry and
 * test harnesses subscribe; publishing costs nothing when nobody listens.
 */
import diagnostics from 'node:diagnostics_channel';

export const DIAGNOSTIC_CHANNELS = {
  /** `{ event: 'begin'|'progress'|'commit'|'abort', records, tasks, ms? }` */
  txn: 'ambit:runtime:txn',
  /** `{ records, tasks, sendOffsetsMs, commitMs, applyMs }` after each successful commit. */
  commit: 'ambit:runtime:commit',
  /** `{ task, event: 'start'|'progress'|'done'|'wipe', records, ms, from?, to? }` */
  restore: 'ambit:runtime:restore',
  /** `{ task, state }` on every task state change. */
  task: 'ambit:runtime:task',
  /** `{ event: 'paused-before-commit' }` (test-only fault hook). */
  fault: 'ambit:runtime:fault',
  /** `{ records }` per poll that returned records for running tasks (benchmarks time from the first). */
  fetch: 'ambit:runtime:fetch',
  /** `{ event, code, message }` errors the runtime handled (abort, rejoin, recreate). */
  error: 'ambit:runtime:error',
} as const;

const channels = Object.fromEntries(Object.entries(DIAGNOSTIC_CHANNELS).map(([k, name]) => [k, diagnostics.channel(name)])) as Record<
  keyof typeof DIAGNOSTIC_CHANNELS,
  diagnostics.Channel
>;

export function publish(ch: keyof typeof DIAGNOSTIC_CHANNELS, message: Record<string, unknown>): void {
  const c = channels[ch];
  if (c.hasSubscribers) c.publish(message);
}

/** Whether anyone listens on `ch`: a hot path checks this before building its message. */
export function hasSubscribers(ch: keyof typeof DIAGNOSTIC_CHANNELS): boolean {
  return channels[ch].hasSubscribers;
}
