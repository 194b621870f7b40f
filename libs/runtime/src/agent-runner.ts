/**
 * One agent in one process: a consumer in the agent's group, one transactional producer,
 * and the tasks this member holds. The runner owns the poll loop and its lock, and acts
 * on errors; everything else is a module with one job:
 *
 *   internal-topics.ts     which topics exist, co-partitioning, internal topic creation
 *   producer-lifecycle.ts  the transactional producer: init, fencing, recreate
 *   task-manager.ts        task lifecycle: assign, revoke, restore, resume, rewind, close
 *   scheduler.ts           what runs when: key-level concurrency, backpressure, timers
 *   executor.ts            one piece of work -> a stage (decode, process, encode)
 *   processor/             the record processor: context, attempts, deadline, DLQ decision
 *   output-encoder.ts      outputs and dead letters -> producer records
 *   transaction.ts         begin, collect, progress, commit, abort
 *
 * Loop (EOS v2, invariants 2-5, docs/invariants.md): poll -> queue each record on its
 * running task -> run what may run (each completed record's writes and outputs join the
 * open transaction) -> fire due timers -> every commit interval (or record / buffer cap)
 * commit. Errors are handled by the action their code names: abort (abort, rewind every
 * partition, drop buffers), rejoin (the same; librdkafka rejoins on the next poll),
 * recreate (a new producer, then the same), fail (stop with the error).
 */
import type { AnyAgentDefinition } from '@ambit/agent-api';
import { groupId, isAmbitError, type Logger, type TopicPartition } from '@ambit/core';
import { createConsumer, type ConsumedRecord, type KafkaAdmin, type KafkaConnection, type KafkaConsumer } from '@ambit/kafka';
import type { RuntimeConfig } from './config.ts';
import { hasSubscribers, publish } from './diagnostics.ts';
import type { Fetcher } from './fetcher.ts';
import type { KafkaJournal } from './journal.ts';
import type { ProducerLifecycle } from './producer-lifecycle.ts';
import { Restorer } from './restorer.ts';
import { assemble } from './runner-setup.ts';
import type { Scheduler } from './scheduler.ts';
import type { TaskManager } from './task-manager.ts';
import type { Transaction } from './transaction.ts';

export interface RunningAgent {
  /** Settles when the runner stops; rejects with the error that stopped it. */
  readonly stopped: Promise<void>;
  /** Graceful stop: commit the open transaction, leave the group, close stores. */
  stop(): Promise<void>;
  /** A snapshot for health checks: cheap, never blocks on the loop. */
  status(): AgentStatus;
}

export interface AgentStatus {
  readonly agent: string;
  /** The member has received an assignment (possibly empty) from the group. */
  readonly joined: boolean;
  readonly tasks: ReadonlyArray<{ readonly partition: number; readonly state: string }>;
  /** Joined, and every task it holds has restored and is running. */
  readonly ready: boolean;
  /** Wall-clock ms of the poll loop's last turn. */
  readonly lastLoopAt: number;
  /** Wall-clock ms of the last commit (0: none yet). */
  readonly lastCommitAt: number;
  /** Wall-clock ms the open transaction began (undefined: none open). */
  readonly txnOpenSince: number | undefined;
  readonly stopping: boolean;
}

export async function startAgent(agent: AnyAgentDefinition, config: RuntimeConfig): Promise<RunningAgent> {
  const runner = new AgentRunner(agent, config);
  await runner.start();
  return { stopped: runner.stopped, stop: () => runner.stop(), status: () => runner.status() };
}

class AgentRunner {
  readonly #agent: AnyAgentDefinition;
  readonly #cfg: RuntimeConfig;
  readonly #conn: KafkaConnection;
  readonly #log: Logger;
  #admin!: KafkaAdmin;
  #consumer!: KafkaConsumer;
  #producers!: ProducerLifecycle;
  #txn!: Transaction;
  #tasks!: TaskManager;
  #scheduler!: Scheduler;
  #restorer!: Restorer;
  #journal!: KafkaJournal;
  #fetcher!: Fetcher;
  #stopping = false;
  #joined = false;
  /** After a stall past the session timeout: no new work before this time, or before the next rebalance. */
  #stalledUntil = 0;
  #lastLoopAt = Date.now();
  /** The stall guard's heartbeat: a timer that only a frozen process (SIGSTOP, a blocked event loop) misses. */
  #lastBeat = Date.now();
  #beat: NodeJS.Timeout | undefined;
  #lastCommitAt = 0;
  /** Inside the revoke hook: aborts skip the rewind. */
  #revoking = false;
  /** An error no handler could take (set from a completion callback): the loop stops with it. */
  #fatal: unknown;
  #resolveStopped!: () => void;
  #rejectStopped!: (e: unknown) => void;
  readonly stopped: Promise<void>;
  #loopDone: Promise<void> | undefined;
  /**
   * Serializes the poll loop's work (processing, timers, commits) with the rebalance hooks:
   * librdkafka may dispatch a rebalance while a batch is being processed, and a task must
   * never be closed under a running record.
   */
  #lock: Promise<void> = Promise.resolve();

  constructor(agent: AnyAgentDefinition, cfg: RuntimeConfig) {
    this.#agent = agent;
    this.#cfg = cfg;
    this.#conn = { brokers: cfg.brokers, clientId: `${agent.name}-${cfg.instanceId}`, connectTimeoutMs: 5_000, requestTimeoutMs: 10_000 };
    this.#log = cfg.logger.child({ agent: agent.name, instance: cfg.instanceId });
    this.stopped = new Promise<void>((res, rej) => {
      this.#resolveStopped = res;
      this.#rejectStopped = rej;
    });
    this.stopped.catch(() => undefined);
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async start(): Promise<void> {
    const cfg = this.#cfg;
    const parts = await assemble({
      agent: this.#agent,
      cfg,
      conn: this.#conn,
      logger: this.#log,
      consumer: () => this.#consumer,
      restorer: () => this.#restorer,
      host: {
        exclusive: (fn) => this.#exclusive(fn),
        handleError: (e, where) => this.#handleError(e, where),
        commit: () => this.#commit(),
        mayStart: () => this.#mayStart(),
        notStalled: () => this.#notStalled(),
        fatal: (e) => (this.#fatal ??= e),
      },
    });
    this.#admin = parts.admin;
    this.#journal = parts.journal;
    this.#producers = parts.producers;
    this.#txn = parts.txn;
    this.#fetcher = parts.fetcher;
    this.#tasks = parts.tasks;
    this.#scheduler = parts.scheduler;
    this.#consumer = await createConsumer(this.#conn, {
      groupId: groupId(cfg.namespace, this.#agent.name),
      isolation: 'read_committed',
      assignor: 'range',
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: cfg.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      maxPollIntervalMs: cfg.maxPollIntervalMs,
      onAssign: (tps) => this.#exclusive(async () => this.#onAssign(tps)),
      onRevoke: (tps, lost) => this.#exclusive(() => this.#onRevoke(tps, lost)),
    });
    this.#restorer = new Restorer({
      admin: this.#admin,
      mainConsumer: this.#consumer,
      conn: this.#conn,
      stateReset: cfg.stateReset,
      logger: this.#log,
      isCancelled: () => this.#stopping,
    });
    this.#consumer.subscribe(parts.inputs.map((i) => i.topic));
    this.#beat = setInterval(() => this.#heartbeat(), 250);
    this.#loopDone = this.#loop().then(
      () => this.#resolveStopped(),
      (e) => this.#rejectStopped(e),
    );
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loopDone;
  }

  status(): AgentStatus {
    const tasks = [...this.#tasks.tasks.values()].map((t) => ({ partition: t.partition, state: t.status }));
    return {
      agent: this.#agent.name,
      joined: this.#joined,
      tasks,
      ready: this.#joined && !this.#stopping && tasks.every((t) => t.state === 'RUNNING'),
      lastLoopAt: this.#lastLoopAt,
      lastCommitAt: this.#lastCommitAt,
      txnOpenSince: this.#txn.open ? this.#txn.startedAt : undefined,
      stopping: this.#stopping,
    };
  }

  /** Nothing new starts while stopping, or after a stall past the session timeout until the group answers. */
  #mayStart(): boolean {
    return !this.#stopping && this.#notStalled();
  }

  /**
   * False after a stall past the session timeout until the group answers, also before the
   * loop's next turn has noticed it: completions and step answers arriving right after a
   * SIGCONT must start nothing new (no record, no step call).
   */
  #notStalled(): boolean {
    const now = Date.now();
    return now >= this.#stalledUntil && now - this.#lastBeat <= this.#cfg.sessionTimeoutMs;
  }

  /**
   * Stalled (SIGSTOP, a long GC, starvation) past the session timeout: the group has most
   * likely moved on. Start nothing new until a rebalance tells us what we still own, so a
   * zombie does not run (and pay for) records another member owns now. A heartbeat rather
   * than the loop's turns: a slow handler run on the loop's turn (maxInFlight 1) is no stall.
   */
  #heartbeat(): void {
    const now = Date.now();
    if (now - this.#lastBeat > this.#cfg.sessionTimeoutMs) {
      this.#stalledUntil = now + this.#cfg.sessionTimeoutMs;
      this.#log.warn('process stalled past the session timeout; starting no new work until the group answers', {
        stalledMs: now - this.#lastBeat,
      });
    }
    this.#lastBeat = now;
  }

  // ---- rebalance hooks (run inside the consumer's poll, before partitions change hands) ----

  #onAssign(tps: TopicPartition[]): void {
    this.#joined = true;
    this.#stalledUntil = 0;
    this.#tasks.assigned(tps);
  }

  async #onRevoke(tps: TopicPartition[], lost: boolean): Promise<void> {
    this.#stalledUntil = 0;
    if (this.#txn.crashed) {
      // Simulated crash: nothing more may reach Kafka or the stores.
      await this.#tasks.closePartitions(tps);
      return;
    }
    // The partitions are going away: an abort here drops buffers but does not rewind (no
    // offset fetches or seeks inside the rebalance callback; the next owner starts from the
    // committed offsets anyway).
    this.#revoking = true;
    try {
      if (lost) {
        // Our generation is gone: nothing we staged may be committed.
        await this.#abort('assignment lost');
      } else {
        // Revocation lets running work finish, then commits, before the partitions are released.
        try {
          for (const p of new Set(tps.map((tp) => tp.partition))) {
            const task = this.#tasks.tasks.get(p);
            if (task) await this.#scheduler.settleRunning(task);
          }
          if (this.#txn.open) await this.#commit();
        } catch (e) {
          await this.#handleError(e, 'commit on revoke');
        }
      }
    } finally {
      this.#revoking = false;
    }
    await this.#tasks.closePartitions(tps);
  }

  // ---- the poll loop ----

  async #loop(): Promise<void> {
    let fatal: unknown;
    try {
      while (!this.#stopping) {
        this.#lastLoopAt = Date.now();
        await this.#exclusive(async () => {
          this.#tasks.supervise();
          await this.#tasks.resumeRestored();
        });
        let records: ConsumedRecord[] = [];
        try {
          records = await this.#fetcher.next();
        } catch (e) {
          if (this.#txn.crashed) throw e;
          await this.#exclusive(() => this.#handleError(e, 'poll'));
          continue;
        }
        await this.#exclusive(async () => {
          try {
            this.#tasks.pauseNotRunning();
            if (!this.#stopping) {
              if (records.length > 0 && hasSubscribers('fetch')) publish('fetch', { records: records.length });
              this.#scheduler.enqueue(records, this.#tasks.tasks);
              for (const task of [...this.#tasks.tasks.values()]) await this.#scheduler.pump(task);
              await this.#scheduler.fireTimers(this.#tasks.tasks.values());
            }
            if (this.#txn.open && this.#commitDue()) await this.#commit();
            this.#scheduler.applyBackpressure(this.#tasks.tasks.values());
          } catch (e) {
            if (this.#txn.crashed) throw e;
            await this.#handleError(e, 'poll loop');
          }
        });
        if (this.#fatal !== undefined) throw this.#fatal;
      }
      if (!this.#txn.crashed) await this.#scheduler.drain(() => this.#tasks.tasks.values());
      if (this.#fatal !== undefined) throw this.#fatal;
      if (this.#txn.open && !this.#txn.crashed) {
        await this.#exclusive(async () => {
          try {
            await this.#commit();
          } catch (e) {
            await this.#handleError(e, 'final commit');
          }
        });
      }
    } catch (e) {
      fatal = e;
    }
    this.#tasks.crashed = this.#txn.crashed;
    clearInterval(this.#beat);
    await this.#fetcher.stop();
    // Leaving the group runs the revoke hook (nothing left to commit), which closes the tasks.
    await this.#consumer.close().catch(() => undefined);
    await this.#tasks.closeAll();
    await this.#restorer.close().catch(() => undefined);
    await this.#producers.close();
    await this.#journal.close();
    await this.#admin.close().catch(() => undefined);
    if (fatal !== undefined) throw fatal;
  }

  #commitDue(): boolean {
    const c = this.#cfg;
    return this.#txn.due(c.commitIntervalMs, c.maxBatchRecords, c.maxBufferedBytes, () => {
      let bytes = 0;
      for (const t of this.#tasks.tasks.values()) bytes += t.state?.bufferedBytes() ?? 0;
      return bytes;
    });
  }

  async #commit(): Promise<void> {
    try {
      await this.#txn.commit(this.#tasks.running(), this.#consumer);
    } catch (e) {
      if (this.#txn.crashed) this.#tasks.crashed = true;
      throw e;
    }
    this.#lastCommitAt = Date.now();
    if (!this.#revoking && !this.#stopping) await this.#tasks.maybeForceRestore();
  }

  /** Abort: abort the transaction, drop every task's buffers, rewind every partition to its committed offset. */
  async #abort(why: string): Promise<void> {
    const running = [...this.#tasks.tasks.values()].filter((t) => t.status === 'RUNNING');
    try {
      await this.#txn.abort(running, why);
    } catch (e) {
      if (isAmbitError(e) && (e.action === 'recreate' || e.action === 'rejoin')) await this.#recreateProducer(e);
      else if (!isAmbitError(e) || e.action !== 'retry') throw e;
    }
    await this.#tasks.rewind(running, !this.#revoking);
  }

  async #recreateProducer(cause: unknown): Promise<void> {
    await this.#producers.recreate(cause);
    this.#txn.forget();
  }

  async #handleError(e: unknown, where: string): Promise<void> {
    if (!isAmbitError(e)) throw e;
    publish('error', { event: where, code: e.code, message: e.message });
    switch (e.action) {
      case 'retry':
      case 'abort':
      case 'rejoin':
        this.#log.warn(`${where}: ${e.code}; aborting and rewinding`, { error: e.message });
        if (e.code === 'KAFKA_FENCED') await this.#recreateProducer(e);
        await this.#abort(`${where}: ${e.code}`);
        if (e.action === 'retry') await new Promise((r) => setTimeout(r, 500));
        return;
      case 'recreate':
        this.#log.warn(`${where}: ${e.code}; recreating the producer`, { error: e.message });
        await this.#recreateProducer(e);
        await this.#abort(`${where}: ${e.code}`);
        return;
      default:
        throw e;
    }
  }
}
