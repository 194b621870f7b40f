/**
 * The agent's one transactional producer per process (invariant 2, docs/invariants.md):
 * created with a transactional id stable across restarts, initialised with retries while
 * the coordinator finishes a predecessor's transaction, recreated after a fence or a fatal
 * error. Source of truth for the current producer and for how often it was fenced: fenced
 * FENCE_LIMIT times within FENCE_WINDOW_MS means another live process has our instance id,
 * a configuration error.
 */
import { AmbitError, isAmbitError, type Logger } from '@ambit/core';
import { createTransactionalProducer, type KafkaConnection, type TransactionalProducer } from '@ambit/kafka';

const FENCE_LIMIT = 3;
const FENCE_WINDOW_MS = 60_000;
/** How long initTransactions is retried on retriable errors before the start fails. */
const INIT_RETRY_MS = 60_000;

export interface ProducerLifecycleOptions {
  readonly conn: KafkaConnection;
  readonly transactionalId: string;
  readonly instanceId: string;
  readonly transactionTimeoutMs: number;
  readonly lingerMs: number;
  readonly logger: Logger;
}

export class ProducerLifecycle {
  readonly #o: ProducerLifecycleOptions;
  #producer: TransactionalProducer | undefined;
  #fences: number[] = [];

  constructor(options: ProducerLifecycleOptions) {
    this.#o = options;
  }

  /** The current producer; `start()` first. */
  get producer(): TransactionalProducer {
    if (!this.#producer) throw new AmbitError('STATE_ILLEGAL_STATE', 'transactional producer not started');
    return this.#producer;
  }

  async start(): Promise<void> {
    this.#producer = await this.#create();
  }

  /**
   * Replaces the producer (after a fence or a fatal error); throws CONFIG_INVALID when the
   * fences say another live process uses this instance id.
   */
  async recreate(cause: unknown): Promise<void> {
    const now = Date.now();
    this.#fences = [...this.#fences.filter((t) => now - t < FENCE_WINDOW_MS), now];
    if (isAmbitError(cause) && cause.code === 'KAFKA_FENCED' && this.#fences.length >= FENCE_LIMIT) {
      throw new AmbitError(
        'CONFIG_INVALID',
        `transactional id ${this.#o.transactionalId} was fenced ${this.#fences.length} times ` +
          `in ${FENCE_WINDOW_MS / 1000} s: another live process uses instance id "${this.#o.instanceId}". Give every process its own instance id.`,
      );
    }
    await this.#producer?.close().catch(() => undefined);
    this.#producer = undefined;
    this.#producer = await this.#create();
  }

  async close(): Promise<void> {
    await this.#producer?.close().catch(() => undefined);
    this.#producer = undefined;
  }

  async #create(): Promise<TransactionalProducer> {
    const p = await createTransactionalProducer(this.#o.conn, {
      transactionalId: this.#o.transactionalId,
      transactionTimeoutMs: this.#o.transactionTimeoutMs,
      lingerMs: this.#o.lingerMs,
    });
    // A restarted process fences its predecessor here instead of waiting for the transaction
    // timeout. The coordinator may still be finishing the predecessor's transaction
    // (CONCURRENT_TRANSACTIONS, a retriable error): init again, with backoff, for a while.
    const deadline = Date.now() + INIT_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await p.init(30_000);
        return p;
      } catch (e) {
        // Only the coordinator's transient states; no broker at all fails the start as before.
        if (!isAmbitError(e, 'KAFKA_RETRIABLE') || Date.now() > deadline) {
          await p.close().catch(() => undefined);
          throw e;
        }
        this.#o.logger.warn('initialising transactions failed; retrying', { attempt, error: e.message });
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }
}
