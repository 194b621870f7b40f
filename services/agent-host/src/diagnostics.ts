/**
 * AMBIT_DIAGNOSTICS=stdout: every message on the runtime's diagnostics channels becomes one
 * JSON line `{"ch":<channel>,"t":<ms>,...message}` on stdout, for test harnesses and for
 * watching a host by hand. Logs go to stderr, so stdout stays machine-readable.
 * Written synchronously (stdout to a pipe or file is synchronous on Linux), so a line is out
 * before the runtime takes its next step: a SIGKILL right after a `progress` line still
 * leaves the harness the line.
 */
import diagnostics from 'node:diagnostics_channel';

/** Renders one message; never throws (a diagnostics subscriber must not break the runtime). */
export function formatDiagnostic(channel: string, message: unknown, t: number): string {
  const body = typeof message === 'object' && message !== null && !Array.isArray(message) ? message : { value: message };
  try {
    return JSON.stringify({ ch: channel, t, ...body }, replacer);
  } catch (e) {
    return JSON.stringify({ ch: channel, t, unserializable: (e as Error).message });
  }
}

function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Error) return { name: v.name, message: v.message, ...('code' in v ? { code: (v as { code: unknown }).code } : {}) };
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** Subscribes to `channels`; returns the unsubscribe function. */
export function writeDiagnostics(channels: readonly string[], write: (line: string) => void, clock: () => number = Date.now): () => void {
  const subscriptions = channels.map((ch) => {
    const fn = (message: unknown): void => write(formatDiagnostic(ch, message, clock()));
    diagnostics.subscribe(ch, fn);
    return () => void diagnostics.unsubscribe(ch, fn);
  });
  return () => subscriptions.forEach((u) => u());
}
