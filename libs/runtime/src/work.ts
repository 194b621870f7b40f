/** The work a task runs in its key slots, as the scheduler and the executor share it. */
import type { ConsumedRecord } from '@ambit/kafka';
import type { DueTimer } from './processor/index.ts';

/** One unit of work in a task's key slot: a record, or a timer firing. */
export type Work =
  | { readonly kind: 'record'; readonly key: string; readonly source: string; readonly r: ConsumedRecord }
  | { readonly kind: 'timer'; readonly key: string; readonly source: string; readonly t: DueTimer };

/** What a completed piece of work still has to do under the lock: join the transaction, or be dropped. */
export interface Stage {
  apply(): Promise<void>;
  drop(): void;
}

/** A piece of work that was started: its execution settles into a stage (or an error). */
export interface Running {
  readonly work: Work;
  readonly epoch: number;
  settled: Promise<void>;
  stage: Stage | undefined;
  error?: unknown;
  /** Staged by a revocation that waited for it; its queued completion does nothing. */
  applied: boolean;
}
