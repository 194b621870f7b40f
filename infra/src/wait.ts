/** Polling with a deadline, for readiness checks that must also notice a dead process. */
import { AmbitError } from '@ambit/core';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PollOptions {
  readonly what: string;
  readonly deadline: number;
  readonly intervalMs?: number;
  /** Checked before every attempt: throw to stop polling (e.g. the process exited). */
  readonly abortIf?: () => Promise<void> | void;
}

/**
 * Calls `attempt` until it returns a value other than undefined. An attempt that throws
 * counts as "not yet"; the last such error is reported on timeout.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, o: PollOptions): Promise<T> {
  let last: unknown;
  for (;;) {
    await o.abortIf?.();
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= o.deadline) {
      const why = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new AmbitError('INFRA_START_TIMEOUT', `${o.what} was not ready in time${why}`, { cause: last });
    }
    await sleep(o.intervalMs ?? 500);
  }
}

/** Rejects with `onTimeout()` when `p` takes longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
