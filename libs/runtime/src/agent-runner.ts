/**
 * One agent in one process: a consumer in the agent's group, one transactional producer,
 * and the tasks this member holds. The runner is the source of truth for the open
 * transaction: which tasks it covers, how many records it holds, when it commits.
 *
 * Loop (EOS v2, ARCHITECTURE invariants 2-5):
 *   poll -> for each record of a RUNNING task: begin txn if needed, decode, run the
 *   handler in a record scope, then stage changelog + outputs into the txn
 *   -> every commit interval (or batch / buffer cap): seal state, send every running
 *   task's offsets with the group metadata, commit, apply state + checkpoint locally.
 * Errors are handled by the action their code names: abort (abort, rewind every
 * partition, drop buffers), rejoin (the same; librdkafka rejoins on the next poll),
 * recreate (a new producer, then the same), fail (stop with the error).
 */
import { join } from 'node:path';
import type { AnyAgentDefinition, InputSpec, RecordMetadata } from '@ambit/agent-api';
import { TerminalError, type StepUsage } from '@ambit/agent-api';
import { AmbitError, isAmbitError, type TopicPartition } from '@ambit/core';
import {
  createAdmin,
  createConsumer,
  createTransactionalProducer,
  partitionFor,
  partitionKey,
  type ConsumedRecord,
  type KafkaAdmin,
  type KafkaConnection,
  type KafkaConsumer,
  type OffsetToCommit,
  type ProducerRecord,
  type TransactionalProducer,
} from '@ambit/kafka';
import { loadSchema } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject, type Serde } from '@ambit/serde';
import { deleteTaskState, openTaskState, type RecordScope } from '@ambit/state';
import type { RuntimeConfig } from './config.ts';
import { RecordCollector } from './collector.ts';
import { createContext, type RecordOutputs } from './context-impl.ts';
import { publish } from './diagnostics.ts';
import {
  changelogTopic,
  decisionsTopic,
  dlqTopic,
  effectsTopic,
  groupId,
  Headers,
  inputSource,
  journalTopic,
  topicName,
  transactionalId,
} from './names.ts';
import { InflightLedger } from './inflight-ledger.ts';
import { KafkaJournal, type JournalEntryValue } from './journal.ts';
import type { StepRun } from './steps.ts';
import { Restorer } from './restorer.ts';
import { Task } from './task.ts';
import type { Running, Stage, Work } from './work.ts';
import { consumeTimer, dueTimers, settleTimers, TIMER_STORE, timerSource } from './timers.ts';

const CHANGELOG_CONFIGS = {
  'cleanup.policy': 'compact',
  'min.cleanable.dirty.ratio': '0.1',
  'segment.ms': '3600000',
  'delete.retention.ms': '86400000',
};
/** The journal outlives its records' commits: replay serves steps from it (schemas/topics.yaml, profile journal). */
const JOURNAL_RETENTION_MS = '604800000';
/** Internal store of each task's progress: completed offsets above the committed position, the journal mark. */
const PROGRESS_STORE = 'ambit-progress';
/** Fenced this many times within FENCE_WINDOW_MS: another live process uses our instance id. */
const FENCE_LIMIT = 3;
const FENCE_WINDOW_MS = 60_000;
/** How often each task's timer index is scanned, and how many timers one scan fires at most. */
const TIMER_SCAN_INTERVAL_MS = 50;
const TIMER_BATCH = 200;
/** How long a revocation waits for running work to finish before releasing its partitions. */
const REVOKE_DRAIN_MS = 5_000;
/** How long initTransactions is retried on retriable errors before the start fails. */
const INIT_RETRY_MS = 60_000;
/** Queued records the in-flight ledger claims beyond the ones starting (see #pump). */
const LEDGER_AHEAD = 32;
/** Lookups of an unknown writer schema id before its record is dead-lettered (backoff 0.5, 1, 2 s). */
const UNKNOWN_SCHEMA_ATTEMPTS = 4;

interface Input {
  readonly alias: string;
  /** Topic without namespace, as the agent declared it. */
  readonly declared: string;
  readonly topic: string;
  readonly serde: Serde<unknown>;
}

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
  readonly #log;
  #admin!: KafkaAdmin;
  #consumer!: KafkaConsumer;
  #producer!: TransactionalProducer;
  #collector!: RecordCollector;
  #restorer!: Restorer;
  #journal!: KafkaJournal;
  #inputs: Input[] = [];
  #partitions = 0;
  /** Per internal topic as described at start: its id, and for changelogs the effective delete.retention.ms (an operator may change it). */
  #internalTopics = new Map<string, { topicId: string; deleteRetentionMs: number }>();
  /** User stores plus the internal timer store when the agent has an onTimer handler. */
  #storeNames: string[] = [];
  #decisionSerde!: Serde<unknown>;
  #effectSerde!: Serde<unknown>;
  readonly #tasks = new Map<number, Task>();
  #txn = { open: false, records: 0, startedAt: 0, tasks: new Set<number>() };
  #fences: number[] = [];
  #stopping = false;
  /**
   * Serializes the poll loop's work (processing, timers, commits) with the rebalance hooks:
   * librdkafka may dispatch a rebalance while a batch is being processed, and a task must
   * never be closed under a running record.
   */
  #lock: Promise<void> = Promise.resolve();
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
  /** Inside the revoke hook: aborts skip the rewind. */
  #revoking = false;
  /** A test hook simulated a crash: close without committing, aborting or applying anything. */
  #crashed = false;
  #faultFired = false;
  #resolveStopped!: () => void;
  #rejectStopped!: (e: unknown) => void;
  readonly stopped: Promise<void>;
  #loopDone: Promise<void> | undefined;

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

  async start(): Promise<void> {
    const cfg = this.#cfg;
    this.#storeNames = [...Object.keys(this.#agent.stores), ...(this.#agent.onTimer ? [TIMER_STORE] : []), PROGRESS_STORE];
    this.#admin = await createAdmin(this.#conn);
    await this.#admin.describeCluster();
    await this.#checkTopics();
    const registry = createSchemaRegistryClient({ url: cfg.registryUrl });
    const auto = cfg.registerSchemas;
    this.#inputs = Object.entries(this.#agent.inputs as Record<string, InputSpec<unknown>>).map(([alias, spec]) => {
      const topic = topicName(cfg.namespace, spec.topic);
      return {
        alias,
        declared: spec.topic,
        topic,
        serde: avroSerde({ registry, subject: valueSubject(topic), schema: spec.schema, autoRegister: auto }),
      };
    });
    this.#decisionSerde = avroSerde({
      registry,
      subject: valueSubject(decisionsTopic(cfg.namespace)),
      schema: loadSchema('Decision').schema,
      autoRegister: auto,
    });
    this.#effectSerde = avroSerde({
      registry,
      subject: valueSubject(effectsTopic(cfg.namespace)),
      schema: loadSchema('EffectRequest').schema,
      autoRegister: auto,
    });

    this.#journal = new KafkaJournal({
      conn: this.#conn,
      topic: journalTopic(cfg.namespace, this.#agent.name),
      // Internal data: the runtime registers its own subject, as it creates its own topics.
      serde: avroSerde<JournalEntryValue>({
        registry,
        subject: valueSubject(journalTopic(cfg.namespace, this.#agent.name)),
        schema: loadSchema('JournalEntry').schema,
        autoRegister: true,
      }),
      agent: { name: this.#agent.name, version: this.#agent.version },
      logger: this.#log,
    });
    this.#producer = await this.#newProducer();
    this.#collector = new RecordCollector(this.#producer);
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
    this.#consumer.subscribe(this.#inputs.map((i) => i.topic));
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
    const tasks = [...this.#tasks.values()].map((t) => ({ partition: t.partition, state: t.status }));
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

  #joined = false;
  /** After a stall past the session timeout: no new work before this time, or before the next rebalance. */
  #stalledUntil = 0;
  #lastLoopAt = Date.now();
  #lastCommitAt = 0;

  /** Co-partitioning: every input (and changelog) has the same partition count; internal topics are created here. */
  async #checkTopics(): Promise<void> {
    const cfg = this.#cfg;
    const inputTopics = Object.values(this.#agent.inputs as Record<string, InputSpec<unknown>>).map((s) =>
      topicName(cfg.namespace, s.topic),
    );
    const outputTopics = [decisionsTopic(cfg.namespace), effectsTopic(cfg.namespace)];
    const existing = new Set(await this.#admin.listTopics());
    const missing = [...inputTopics, ...outputTopics].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `topics missing: ${missing.join(', ')} (create them with \`pnpm ambit topics apply\`)`);
    }
    const described = await this.#admin.describeTopics(inputTopics);
    const counts = new Set(described.map((d) => d.partitions));
    if (counts.size !== 1) {
      throw new AmbitError(
        'CONFIG_INVALID',
        `co-partitioning mismatch: the inputs of agent ${this.#agent.name} must have equal partition counts, got ` +
          described.map((d) => `${d.name}=${d.partitions}`).join(', '),
      );
    }
    this.#partitions = described[0]!.partitions;
    const internal: Array<{ name: string; configs: Readonly<Record<string, string>> }> = [
      ...this.#storeNames.map((s) => ({
        name: changelogTopic(cfg.namespace, this.#agent.name, s),
        configs: CHANGELOG_CONFIGS,
      })),
      { name: dlqTopic(cfg.namespace, this.#agent.name), configs: { 'cleanup.policy': 'delete' } },
      {
        name: journalTopic(cfg.namespace, this.#agent.name),
        configs: { 'cleanup.policy': 'delete', 'retention.ms': JOURNAL_RETENTION_MS },
      },
    ];
    await this.#admin.createTopics(
      internal.map((t) => ({ name: t.name, partitions: this.#partitions, replicationFactor: 1, configs: t.configs })),
    );
    // A topic another process just created may not be in metadata yet: wait for it briefly.
    const describeInternal = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#admin.describeTopics(
            internal.map((t) => t.name),
            ['delete.retention.ms'],
          );
        } catch (e) {
          if (!isAmbitError(e, 'KAFKA_TOPIC_NOT_FOUND') || attempt >= 40) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    for (const d of await describeInternal()) {
      if (d.partitions !== this.#partitions) {
        throw new AmbitError(
          'CONFIG_INVALID',
          `co-partitioning mismatch: ${d.name} has ${d.partitions} partitions, the inputs of agent ${this.#agent.name} have ${this.#partitions}`,
        );
      }
      const retention = Number(d.configs['delete.retention.ms']);
      // Unknown (not reported): assume the shortest, so an old store is rebuilt.
      this.#internalTopics.set(d.name, { topicId: d.topicId, deleteRetentionMs: Number.isFinite(retention) ? retention : 0 });
    }
  }

  async #newProducer(): Promise<TransactionalProducer> {
    const p = await createTransactionalProducer(this.#conn, {
      transactionalId: transactionalId(this.#cfg.namespace, this.#agent.name, this.#cfg.instanceId),
      transactionTimeoutMs: this.#cfg.transactionTimeoutMs,
      lingerMs: 5,
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
        this.#log.warn('initialising transactions failed; retrying', { attempt, error: e.message });
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  }

  // ---- rebalance hooks (run inside the consumer's poll, before partitions change hands) ----

  #onAssign(tps: TopicPartition[]): void {
    this.#joined = true;
    this.#stalledUntil = 0;
    const byPartition = new Map<number, Set<string>>();
    for (const tp of tps) {
      const s = byPartition.get(tp.partition) ?? new Set<string>();
      s.add(tp.topic);
      byPartition.set(tp.partition, s);
    }
    for (const [p, topics] of byPartition) {
      const inputs = this.#inputs.map((i) => ({ topic: i.topic, partition: p }));
      const changelogs = this.#storeNames.map((store) => {
        const topic = changelogTopic(this.#cfg.namespace, this.#agent.name, store);
        return { store, topic, partition: p, ...(this.#internalTopics.get(topic) ?? { topicId: '', deleteRetentionMs: 0 }) };
      });
      const task = new Task(p, inputs, changelogs);
      this.#tasks.set(p, task);
      // Co-assignment: a task whose partitions are only partly held stays paused, never crash-loops.
      if (!this.#inputs.every((i) => topics.has(i.topic))) {
        task.transition('WAITING');
        this.#log.warn('task partly assigned: waiting for all its input partitions', { task: p, held: [...topics] });
      }
      publish('task', { task: p, state: task.status });
    }
  }

  async #onRevoke(tps: TopicPartition[], lost: boolean): Promise<void> {
    this.#stalledUntil = 0;
    if (this.#crashed) {
      // Simulated crash: nothing more may reach Kafka or the stores.
      for (const p of new Set(tps.map((tp) => tp.partition))) {
        const task = this.#tasks.get(p);
        if (task) await this.#closeTask(task);
      }
      return;
    }
    // The partitions are going away: an abort here drops buffers but does not rewind (no
    // offset fetches or seeks inside the rebalance callback; the next owner starts from the
    // committed offsets anyway).
    this.#revoking = true;
    try {
      if (lost) {
        // Our generation is gone: nothing we staged may be committed.
        await this.#abortTxn('assignment lost');
      } else {
        // Revocation lets running work finish, then commits, before the partitions are released.
        try {
          for (const p of new Set(tps.map((tp) => tp.partition))) {
            const task = this.#tasks.get(p);
            if (task) await this.#settleRunning(task);
          }
          if (this.#txn.open) await this.#commit();
        } catch (e) {
          await this.#handleError(e, 'commit on revoke');
        }
      }
    } finally {
      this.#revoking = false;
    }
    const partitions = new Set(tps.map((tp) => tp.partition));
    for (const p of partitions) {
      const task = this.#tasks.get(p);
      if (!task) continue;
      await this.#closeTask(task);
    }
  }

  async #closeTask(task: Task): Promise<void> {
    task.transition('CLOSED');
    task.resetWork();
    this.#journal.forget(task.partition);
    // Closed by this process, not by its death: what it had in flight is no crash evidence.
    if (!this.#crashed) task.ledger?.clear();
    await task.restoring?.catch(() => undefined);
    await task.state?.close();
    task.state = undefined;
    this.#tasks.delete(task.partition);
    publish('task', { task: task.partition, state: 'CLOSED' });
  }

  // ---- the poll loop ----

  async #loop(): Promise<void> {
    let fatal: unknown;
    try {
      while (!this.#stopping) {
        const turn = Date.now();
        if (turn - this.#lastLoopAt > this.#cfg.sessionTimeoutMs) {
          // Stalled (SIGSTOP, a long GC, starvation) past the session timeout: the group has most
          // likely moved on. Start nothing new until a rebalance tells us what we still own, so a
          // zombie does not run (and pay for) records another member owns now.
          this.#stalledUntil = turn + this.#cfg.sessionTimeoutMs;
          this.#log.warn('poll loop stalled past the session timeout; starting no new work until the group answers', {
            stalledMs: turn - this.#lastLoopAt,
          });
        }
        this.#lastLoopAt = turn;
        await this.#exclusive(async () => {
          this.#superviseTasks();
          await this.#resumeRestored();
        });
        let records: ConsumedRecord[] = [];
        try {
          records = await this.#consumer.consume(this.#cfg.pollRecords, 50);
        } catch (e) {
          if (this.#crashed) throw e;
          await this.#exclusive(() => this.#handleError(e, 'poll'));
          continue;
        }
        await this.#exclusive(async () => {
          try {
            this.#pauseNotRunning();
            if (!this.#stopping) {
              this.#enqueue(records);
              for (const task of [...this.#tasks.values()]) await this.#pump(task);
              if (this.#agent.onTimer) await this.#fireTimers();
            }
            if (this.#txn.open && this.#commitDue()) await this.#commit();
            this.#applyBackpressure();
          } catch (e) {
            if (this.#crashed) throw e;
            await this.#handleError(e, 'poll loop');
          }
        });
        if (this.#fatal !== undefined) throw this.#fatal;
      }
      if (!this.#crashed) await this.#drain();
      if (this.#fatal !== undefined) throw this.#fatal;
      if (this.#txn.open && !this.#crashed) {
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
    // Leaving the group runs the revoke hook (nothing left to commit), which closes the tasks.
    await this.#consumer.close().catch(() => undefined);
    for (const t of [...this.#tasks.values()]) await this.#closeTask(t);
    await this.#restorer.close().catch(() => undefined);
    await this.#producer.close().catch(() => undefined);
    await this.#journal.close();
    await this.#admin.close().catch(() => undefined);
    if (fatal !== undefined) throw fatal;
  }

  #commitDue(): boolean {
    if (Date.now() - this.#txn.startedAt >= this.#cfg.commitIntervalMs) return true;
    if (this.#txn.records >= this.#cfg.maxBatchRecords) return true;
    let bytes = 0;
    for (const t of this.#tasks.values()) bytes += t.state?.bufferedBytes() ?? 0;
    return bytes >= this.#cfg.maxBufferedBytes;
  }

  /** Starts the restore of new tasks, one restore at a time, outside the rebalance callback. */
  #superviseTasks(): void {
    const busy = [...this.#tasks.values()].some((t) => t.status === 'RESTORING');
    if (busy) return;
    const next = [...this.#tasks.values()].find((t) => t.status === 'CREATED');
    if (!next) return;
    next.transition('RESTORING');
    publish('task', { task: next.partition, state: 'RESTORING' });
    this.#startRestore(next, false);
  }

  #taskDir(partition: number): string {
    return join(this.#cfg.stateDir, this.#agent.name, String(partition));
  }

  #startRestore(task: Task, wipe: boolean): void {
    task.restoring = (async () => {
      if (wipe) await deleteTaskState(this.#taskDir(task.partition));
      task.state = await openTaskState(this.#taskDir(task.partition), this.#storeNames, {
        changelog: { append: (store, key, value) => this.#pendingChangelog.push({ task, store, key, value }) },
      });
      const resumeAt = await this.#restorer.restore(task);
      await this.#readProgress(task, resumeAt);
      task.resumeAt = resumeAt;
    })().catch((e: unknown) => {
      if (task.status === 'CLOSED') return;
      this.#fatalFromRestore = e;
    });
  }

  /**
   * After a restore: the offsets committed as done above each resume position are skipped
   * when fetched again, and the journal is read back from its mark.
   */
  async #readProgress(task: Task, resumeAt: ReadonlyMap<string, number>): Promise<void> {
    const store = task.state!.store(PROGRESS_STORE);
    task.skip = new Map();
    task.progressWritten.clear();
    for (const tp of task.inputs) {
      const key = `done/${tp.topic}`;
      const raw = await store.get(key);
      if (!raw) continue;
      task.progressWritten.set(key, raw.toString());
      const p = JSON.parse(raw.toString()) as { at: number; done: number[] };
      if (p.at === resumeAt.get(tp.topic)) task.skip.set(tp.topic, new Set(p.done));
      else
        this.#log.warn('progress record does not match the committed offset; not skipping', {
          task: task.partition,
          topic: tp.topic,
          at: p.at,
        });
    }
    const mark = await store.get('journal');
    if (mark) task.progressWritten.set('journal', mark.toString());
    await this.#journal.load(this.#admin, task.partition, mark ? Number(mark.toString()) : -1);
  }

  /**
   * Forced-restore mode: right after a commit (nothing staged), one running task drops its
   * local state and restores it from the changelog, as a new owner would.
   */
  async #maybeForceRestore(): Promise<void> {
    const p = this.#cfg.forcedRestoreProbability;
    if (p <= 0 || this.#stopping || Math.random() >= p) return;
    const tasks = [...this.#tasks.values()];
    if (tasks.some((t) => t.status === 'RESTORING')) return;
    const running = tasks.filter((t) => t.status === 'RUNNING');
    const task = running[Math.floor(Math.random() * running.length)];
    if (!task) return;
    try {
      this.#consumer.pause(task.inputs);
    } catch {
      return; // mid-rebalance: try at a later commit
    }
    task.resetWork(); // work in flight is dropped and runs again after the restore
    this.#journal.forget(task.partition);
    await task.state?.close();
    task.state = undefined;
    task.positions.clear();
    task.transition('RESTORING');
    publish('task', { task: task.partition, state: 'RESTORING', forced: true });
    this.#log.info('forced restore: dropping local state', { task: task.partition });
    this.#startRestore(task, true);
  }

  #fatalFromRestore: unknown;
  /** An error no handler could take (set from a completion callback): the loop stops with it. */
  #fatal: unknown;
  #pendingChangelog: Array<{ task: Task; store: string; key: string; value: Buffer | null }> = [];

  /** Restored tasks: seek their inputs to the committed offsets and start running. */
  async #resumeRestored(): Promise<void> {
    if (this.#fatalFromRestore !== undefined) {
      const e = this.#fatalFromRestore;
      this.#fatalFromRestore = undefined;
      if (isAmbitError(e) && (e.action === 'fail' || e.code === 'STATE_CHANGELOG_RECREATED')) throw e;
      this.#log.warn('restore failed; retrying', { error: String(e) });
      for (const t of this.#tasks.values()) {
        if (t.status === 'RESTORING' && t.resumeAt === undefined) {
          await t.state?.close();
          t.state = undefined;
          // Back to CREATED is not in the table on purpose: recreate the task object.
          const fresh = new Task(t.partition, t.inputs, t.changelogs);
          this.#tasks.set(t.partition, fresh);
        }
      }
      return;
    }
    for (const task of this.#tasks.values()) {
      if (task.status !== 'RESTORING' || task.resumeAt === undefined) continue;
      const resumeAt = task.resumeAt;
      try {
        for (const tp of task.inputs) await this.#consumer.seek(tp, resumeAt.get(tp.topic) ?? -2);
      } catch (e) {
        // The partitions are changing hands (a rebalance is under way): stay RESTORING, try again next round.
        this.#log.warn('could not seek restored task inputs; retrying', { task: task.partition, error: String(e) });
        continue;
      }
      task.resumeAt = undefined;
      task.restoring = undefined;
      for (const tp of task.inputs) {
        const at = resumeAt.get(tp.topic);
        if (at !== undefined) task.positions.set(tp.topic, at);
      }
      task.ledger ??= new InflightLedger(`${this.#taskDir(task.partition)}.inflight.json`);
      task.suspects = task.ledger.suspects(resumeAt);
      if (task.suspects.size > 0) {
        this.#log.warn('unclean stop: re-running the in-flight records one at a time', {
          task: task.partition,
          upTo: Object.fromEntries(task.suspects),
        });
        publish('task', { task: task.partition, state: 'RUNNING', suspects: Object.fromEntries(task.suspects) });
      }
      task.transition('RUNNING');
      this.#consumer.resume(task.inputs);
      publish('task', { task: task.partition, state: 'RUNNING' });
    }
  }

  #pauseNotRunning(): void {
    const paused: TopicPartition[] = [];
    for (const t of this.#tasks.values()) if (t.status !== 'RUNNING') paused.push(...t.inputs);
    if (paused.length > 0) {
      try {
        this.#consumer.pause(paused);
      } catch {
        // Not assigned yet (the assignment lands on the next poll): pausing again next round.
      }
    }
  }

  // ---- work: records and timer firings, key by key (ARCHITECTURE invariant 6) ----

  /**
   * Fetched records join their task's queue in offset order and its offset tracker (a
   * queued record is incomplete); a record committed as done above the position before a
   * restart completes at once without running.
   */
  #enqueue(records: readonly ConsumedRecord[]): void {
    if (records.length > 0) publish('fetch', { records: records.length });
    for (const r of records) {
      const task = this.#tasks.get(r.partition);
      // Records of tasks that are not running yet are dropped; the task seeks back before it runs.
      if (!task || task.status !== 'RUNNING' || !task.holdsInput(r.topic)) continue;
      const last = task.enqueued.get(r.topic);
      if (last !== undefined && r.offset <= last) continue; // fetched twice around a seek
      task.enqueued.set(r.topic, r.offset);
      const tracker = task.tracker(r.topic);
      tracker.add(r.offset);
      if (task.skip.get(r.topic)?.has(r.offset)) {
        tracker.complete(r.offset);
        continue;
      }
      task.pending.push(r);
    }
  }

  /**
   * Starts what may start: queued records whose key is idle and that no earlier queued record
   * of the same key precedes, while the task has fewer than `maxInFlight` running and the
   * record is within `maxDistance` of the lowest incomplete offset. Suspects left by an
   * unclean stop run alone, in order, first.
   */
  async #pump(task: Task): Promise<void> {
    // Also before the loop's next turn has noticed a stall: completions arriving right after
    // a SIGCONT must not start new work either.
    const now = Date.now();
    if (now < this.#stalledUntil || now - this.#lastLoopAt > this.#cfg.sessionTimeoutMs) return;
    while (task.status === 'RUNNING' && task.pending.length > 0 && task.suspects.size > 0) {
      const head = task.pending[0]!;
      const upTo = task.suspects.get(head.topic);
      if (upTo === undefined || head.offset > upTo) {
        if (upTo !== undefined) task.suspects.delete(head.topic);
        if (![...task.suspects.keys()].some((t) => task.pending.some((r) => r.topic === t))) task.suspects.clear();
        break;
      }
      if (task.inFlight > 0) return; // a suspect runs alone
      task.pending.shift();
      await this.#runSuspect(task, head, upTo);
    }
    if (task.status !== 'RUNNING' || task.pending.length === 0) return;
    const capacity = this.#cfg.maxInFlight - task.inFlight;
    if (capacity <= 0) return;
    const picked: ConsumedRecord[] = [];
    const rest: ConsumedRecord[] = [];
    const held = new Set<string>();
    // Nothing starts while picking, so each topic's lowest incomplete offset is fixed here.
    const lowest = new Map<string, number | undefined>();
    // Stops at capacity: scanning the whole queue on every completion was quadratic (at
    // in-flight 1 it was 11% of a busy host's CPU, bench/).
    let scanned = 0;
    for (; scanned < task.pending.length && picked.length < capacity; scanned++) {
      const r = task.pending[scanned]!;
      const key = r.key ?? '';
      if (!lowest.has(r.topic)) lowest.set(r.topic, task.tracker(r.topic).lowestIncomplete());
      const low = lowest.get(r.topic) ?? r.offset;
      if (task.busy.has(key) || held.has(key) || r.offset - low > this.#cfg.maxDistance) {
        held.add(key); // later records of this key wait behind it
        rest.push(r);
        continue;
      }
      held.add(key);
      picked.push(r);
    }
    if (picked.length === 0) return;
    task.pending = rest.length === 0 ? task.pending.slice(scanned) : rest.concat(task.pending.slice(scanned));
    // On disk before any of them runs: the evidence an unclean stop leaves. Claimed ahead,
    // over the next LEDGER_AHEAD queued records too, so the ledger is written once per that
    // many records instead of per record (10% of a busy host's CPU at in-flight 1, bench/);
    // the price is at most that many more records re-run alone after an unclean stop.
    const highest = new Map<string, number>();
    for (const r of picked) highest.set(r.topic, Math.max(highest.get(r.topic) ?? -1, r.offset));
    if (task.ledger?.covers(highest) === false) {
      for (const r of task.pending.slice(0, LEDGER_AHEAD)) highest.set(r.topic, Math.max(highest.get(r.topic) ?? -1, r.offset));
      task.ledger.dispatch(highest);
    }
    for (const r of picked) this.#start(task, { kind: 'record', key: r.key ?? '', source: this.#sourceOf(r), r });
  }

  #sourceOf(r: ConsumedRecord): string {
    const input = this.#inputs.find((i) => i.topic === r.topic)!;
    return inputSource(input.declared, r.partition, r.offset);
  }

  /** Runs `work` concurrently; its completion is applied under the lock, unless the task moved on (abort, revoke) since. */
  #start(task: Task, work: Work): void {
    task.busy.add(work.key);
    task.inFlight++;
    const epoch = task.epoch;
    const running: Running = { work, epoch, stage: undefined, applied: false, settled: undefined as unknown as Promise<void> };
    task.running.add(running);
    running.settled = this.#execute(task, work, epoch).then(
      (stage) => {
        running.stage = stage;
      },
      (e: unknown) => {
        running.error = e;
      },
    );
    void running.settled
      .then(() =>
        this.#exclusive(async () => {
          task.running.delete(running);
          if (running.applied) return; // applied by a revocation that waited for it
          if (running.stage) return this.#complete(task, epoch, work, running.stage);
          if (task.epoch !== epoch) return;
          await this.#handleError(running.error, 'handler');
        }),
      )
      .catch((e: unknown) => {
        this.#fatal ??= e;
      });
  }

  /**
   * Before a revoked task is committed and released: wait (bounded) for the work it runs,
   * and stage what completes, so the next owner does not run it (and pay its steps) again.
   */
  async #settleRunning(task: Task): Promise<void> {
    if (task.running.size === 0 || task.status !== 'RUNNING') return;
    const waitMs = Math.min(this.#cfg.handlerTimeoutMs, REVOKE_DRAIN_MS);
    await Promise.race([Promise.allSettled([...task.running].map((r) => r.settled)), new Promise((r) => setTimeout(r, waitMs))]);
    for (const r of [...task.running]) {
      if (!r.stage || r.applied || r.epoch !== task.epoch) continue;
      try {
        await r.stage.apply();
        r.applied = true;
        task.busy.delete(r.work.key);
        task.inFlight--;
        this.#completed(task, r.work);
      } catch (e) {
        r.stage.drop();
        this.#log.warn('could not stage a completed record on revocation; the next owner runs it', { error: String(e) });
        return;
      }
    }
  }

  async #complete(task: Task, epoch: number, work: Work, stage: Stage): Promise<void> {
    if (task.epoch !== epoch || task.status !== 'RUNNING') {
      stage.drop(); // a completion of a revoked, restored or rewound task
      return;
    }
    try {
      await stage.apply();
    } catch (e) {
      stage.drop();
      await this.#handleError(e, 'staging a completed record');
      return;
    }
    task.busy.delete(work.key);
    task.inFlight--;
    this.#completed(task, work);
    await this.#pump(task);
  }

  #completed(task: Task, work: Work): void {
    if (work.kind === 'record') task.tracker(work.r.topic).complete(work.r.offset);
    task.txnCauses.add(work.source);
    task.txnRecords++;
    this.#txn.records++;
    this.#txn.tasks.add(task.partition);
    publish('txn', { event: 'progress', records: this.#txn.records, tasks: [...this.#txn.tasks] });
  }

  /**
   * A suspect left by an unclean stop runs alone in its own transaction, after its start is
   * counted; one that already took the process down `maxCrashAttempts` times (the stop that
   * made it a suspect included) goes to the DLQ without running.
   */
  async #runSuspect(task: Task, r: ConsumedRecord, upTo: number): Promise<void> {
    if (this.#txn.open) await this.#commit();
    if (task.status !== 'RUNNING') return; // a forced restore took the task at that commit
    const ledger = task.ledger!;
    const work: Work = { kind: 'record', key: r.key ?? '', source: this.#sourceOf(r), r };
    // Crashes so far: the unclean stop that left it in flight, plus every solo start that never returned.
    const crashes = 1 + ledger.crashedStarts(r.topic, r.offset);
    if (crashes >= this.#cfg.maxCrashAttempts) {
      await this.#beginIfNeeded();
      const cause = new AmbitError(
        'RUNTIME_POISON_RECORD',
        `record ${work.source} was in flight at ${crashes} unclean stops of the process; dead-lettered without running it again`,
      );
      this.#log.error('poison record: dead-lettered after crashing the process', { source: work.source, crashes });
      await this.#sendDeadLetter(task, r, work.source, cause, crashes);
      this.#completed(task, work);
    } else {
      ledger.startSolo(r.topic, r.offset);
      try {
        const stage = await this.#execute(task, work, task.epoch);
        await stage.apply();
        this.#completed(task, work);
      } finally {
        // Returned, even with an error (a registry outage aborts and retries): not a crash.
        ledger.endSolo(r.topic, r.offset);
      }
    }
    if (this.#txn.open) await this.#commit();
    if (r.offset >= upTo) task.suspects.delete(r.topic);
  }

  /** Runs one piece of work to the point where only staging is left (outside the lock). */
  async #execute(task: Task, work: Work, epoch: number): Promise<Stage> {
    if (work.kind === 'timer') return this.#executeTimer(task, work, epoch);
    const r = work.r;
    const input = this.#inputs.find((i) => i.topic === r.topic)!;
    if (r.key !== null && partitionFor(r.key, this.#partitions) !== r.partition) {
      // A foreign partitioner breaks state locality: report it.
      publish('error', { event: 'key-in-wrong-partition', code: 'CONFIG_INVALID', task: task.partition, source: work.source });
      this.#log.warn('record key hashes to another partition (producer not using murmur2?)', { source: work.source });
    }
    let value: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        value = await input.serde.deserialize(r.value ?? Buffer.alloc(0));
        break;
      } catch (e) {
        if (isAmbitError(e) && e.action === 'retry') throw e; // registry outage: abort, rewind, retry later
        // An id the registry does not know yet may be a replica catching up: ask again, with backoff.
        if (isAmbitError(e, 'SERDE_UNKNOWN_SCHEMA') && attempt < UNKNOWN_SCHEMA_ATTEMPTS) {
          await new Promise((res) => setTimeout(res, 250 * 2 ** attempt));
          continue;
        }
        return this.#deadLetterStage(task, r, work.source, e, attempt);
      }
    }
    const handler = (this.#agent.handlers as Record<string, (ctx: unknown, v: unknown) => unknown>)[input.alias]!;
    const metadata: RecordMetadata = {
      topic: input.declared,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString('utf8')])),
    };
    const outcome = await this.#attempts(
      task,
      epoch,
      input.alias,
      { key: work.key, source: work.source, metadata, now: r.timestamp },
      (ctx) => handler(ctx, value),
    );
    if ('failure' in outcome) return this.#deadLetterStage(task, r, work.source, outcome.failure, outcome.attempts);
    return this.#outputStage(outcome.scope, outcome.encoded);
  }

  async #executeTimer(task: Task, work: Extract<Work, { kind: 'timer' }>, epoch: number): Promise<Stage> {
    const t = work.t;
    const onTimer = this.#agent.onTimer!;
    const metadata: RecordMetadata = { topic: '', partition: task.partition, offset: -1, timestamp: t.dueAt, headers: {} };
    const outcome = await this.#attempts(
      task,
      epoch,
      'onTimer',
      { key: t.key, source: work.source, metadata, now: t.dueAt },
      async (ctx, scope) => {
        if (await consumeTimer(scope.store(TIMER_STORE), t)) await onTimer(ctx, { name: t.name, dueAt: t.dueAt, payload: t.payload });
      },
    );
    if (!('failure' in outcome)) return this.#outputStage(outcome.scope, outcome.encoded);
    // The timer keeps failing: drop it (in its own scope) and record why in the DLQ.
    return {
      apply: async () => {
        await this.#beginIfNeeded();
        const scope = task.state!.beginRecord();
        await consumeTimer(scope.store(TIMER_STORE), t);
        scope.commit();
        await this.#flushChangelog();
        const value = Buffer.from(JSON.stringify({ timer: t.name, dueAt: t.dueAt, payload: t.payload }));
        await this.#sendDeadLetter(task, { key: t.key, value, headers: {} }, work.source, outcome.failure, outcome.attempts);
      },
      drop: () => undefined,
    };
  }

  /** A completed record: its scope's writes, changelog records and outputs join the open transaction together. */
  #outputStage(scope: RecordScope, encoded: ProducerRecord[]): Stage {
    return {
      apply: async () => {
        await this.#beginIfNeeded();
        scope.commit();
        await this.#flushChangelog();
        for (const rec of encoded) await this.#collector.send(rec);
      },
      drop: () => scope.discard(),
    };
  }

  #deadLetterStage(task: Task, r: ConsumedRecord, source: string, cause: unknown, attempts: number): Stage {
    return {
      apply: async () => {
        await this.#beginIfNeeded();
        await this.#sendDeadLetter(task, r, source, cause, attempts);
      },
      drop: () => undefined,
    };
  }

  /**
   * Runs `body` in a fresh record scope per attempt, up to `handlerAttempts` times with
   * backoff (a TerminalError or a non-determinism error ends it at once). Returns the scope
   * and encoded outputs of the successful attempt, or the last error.
   */
  async #attempts(
    task: Task,
    epoch: number,
    handler: string,
    at: { key: string; source: string; metadata: RecordMetadata; now: number },
    body: (ctx: ReturnType<typeof createContext>, scope: RecordScope) => unknown,
  ): Promise<{ scope: RecordScope; encoded: ProducerRecord[] } | { failure: unknown; attempts: number }> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#cfg.handlerAttempts; attempt++) {
      if (task.epoch !== epoch || !task.state) throw new AmbitError('KAFKA_TXN_ABORTABLE', 'task moved on while its record ran');
      const scope = task.state.beginRecord();
      const outputs: RecordOutputs = { effects: [], decisions: [] };
      const steps: StepRun = {
        cause: at.source,
        handler,
        journal: this.#journal.forRun(task.partition, at.key),
        maxEntryBytes: this.#cfg.stepEntryMaxBytes,
        usage: [],
      };
      try {
        const ctx = createContext({
          agent: this.#agent.name,
          key: at.key,
          record: at.metadata,
          source: at.source,
          now: at.now,
          scope,
          stores: this.#agent.stores,
          logger: this.#log,
          outputs,
          timersEnabled: this.#agent.onTimer !== undefined,
          steps,
        });
        await this.#withDeadline(body(ctx, scope), at.source);
        await settleTimers(ctx.timers);
        const encoded = await this.#encodeOutputs(task, at.key, at.now, at.source, outputs, steps.usage);
        return { scope, encoded };
      } catch (e) {
        scope.discard();
        lastError = e;
        if (isAmbitError(e) && (e.action === 'retry' || e.action === 'abort' || e.action === 'rejoin' || e.action === 'recreate')) throw e;
        this.#log.warn('handler failed', { source: at.source, attempt, error: e instanceof Error ? e.message : String(e) });
        if (e instanceof TerminalError || isAmbitError(e, 'RUNTIME_NON_DETERMINISM')) return { failure: e, attempts: attempt };
        if (attempt < this.#cfg.handlerAttempts) await new Promise((res) => setTimeout(res, Math.min(50 * 2 ** attempt, 1_000)));
      }
    }
    return { failure: lastError, attempts: this.#cfg.handlerAttempts };
  }

  /**
   * Starts due timers of every running task, a bounded batch per scan, each in its key's
   * slot (a busy key's timer waits for the next scan); idle partitions included.
   */
  async #fireTimers(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastTimerScan < TIMER_SCAN_INTERVAL_MS) return;
    this.#lastTimerScan = now;
    for (const task of this.#tasks.values()) {
      if (task.status !== 'RUNNING' || !task.state || task.suspects.size > 0 || Date.now() < this.#stalledUntil) continue;
      const due = await dueTimers(task.state.store(TIMER_STORE), now, TIMER_BATCH);
      for (const t of due) {
        if (this.#stopping || task.status !== 'RUNNING' || task.inFlight >= this.#cfg.maxInFlight) break;
        if (task.busy.has(t.key)) continue;
        this.#start(task, { kind: 'timer', key: t.key, source: timerSource(task.partition, t), t });
      }
    }
  }

  #lastTimerScan = 0;

  /** One handler attempt under the per-record deadline; a late handler's scope is discarded by the caller. */
  async #withDeadline(work: unknown, source: string): Promise<void> {
    const ms = this.#cfg.handlerTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AmbitError('RUNTIME_HANDLER_TIMEOUT', `handler for ${source} did not finish within ${ms} ms`)),
        ms,
      );
    });
    try {
      await Promise.race([Promise.resolve(work), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Pauses a task's inputs while its queue is past the distance bound; resumes below half of it. */
  #applyBackpressure(): void {
    for (const task of this.#tasks.values()) {
      if (task.status !== 'RUNNING') continue;
      const over = task.pending.length > this.#cfg.maxDistance;
      try {
        if (over && !task.backpressured) {
          this.#consumer.pause(task.inputs);
          task.backpressured = true;
          publish('task', { task: task.partition, state: 'RUNNING', paused: 'distance bound', queued: task.pending.length });
        } else if (!over && task.backpressured && task.pending.length <= this.#cfg.maxDistance / 2) {
          this.#consumer.resume(task.inputs);
          task.backpressured = false;
          publish('task', { task: task.partition, state: 'RUNNING', paused: false, queued: task.pending.length });
        }
      } catch {
        // mid-rebalance: next round
      }
    }
  }

  /** Graceful stop: no new work; wait (bounded) for what runs to complete, so its results commit. */
  async #drain(): Promise<void> {
    const deadline = Date.now() + Math.min(this.#cfg.handlerTimeoutMs * this.#cfg.handlerAttempts, 30_000);
    while (Date.now() < deadline && [...this.#tasks.values()].some((t) => t.status === 'RUNNING' && t.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async #flushChangelog(): Promise<void> {
    const pending = this.#pendingChangelog;
    this.#pendingChangelog = [];
    for (const c of pending) {
      const topic = changelogTopic(this.#cfg.namespace, this.#agent.name, c.store);
      await this.#collector.sendChangelog(c.task, { topic, partition: c.task.partition, key: c.key, value: c.value });
    }
  }

  async #encodeOutputs(task: Task, key: string, time: number, source: string, outputs: RecordOutputs, usage: readonly StepUsage[]) {
    const modelUsage =
      usage.length === 0
        ? null
        : {
            inputTokens: usage.reduce((a, u) => a + u.inputTokens, 0),
            outputTokens: usage.reduce((a, u) => a + u.outputTokens, 0),
            steps: usage.length,
          };
    const ns = this.#cfg.namespace;
    const headers = { [Headers.source]: source, [Headers.agent]: this.#agent.name, [Headers.agentVersion]: this.#agent.version };
    const origin = {
      agent: this.#agent.name,
      agentVersion: this.#agent.version,
      entityKey: key,
      partition: task.partition,
      cause: source,
    };
    const out = [];
    for (const e of outputs.effects) {
      const value = await this.#effectSerde.serialize({
        effectId: e.id,
        tenant: e.input.tenant,
        origin,
        effectType: e.input.effectType,
        target: e.input.target,
        payload: JSON.stringify(e.input.payload ?? null),
        estimatedCostMinor: e.input.estimatedCostMinor ?? null,
        currency: e.input.currency ?? null,
        confidenceBp: e.input.confidenceBp ?? null,
        reason: e.input.reason ?? null,
        requestedAt: time,
      });
      out.push({ topic: effectsTopic(ns), key: e.input.tenant, value, headers });
    }
    for (const d of outputs.decisions) {
      const value = await this.#decisionSerde.serialize({
        decisionId: d.id,
        tenant: d.input.tenant,
        madeBy: 'AGENT',
        kind: d.input.kind,
        origin,
        effectId: d.input.effectId ?? null,
        stage: null,
        verdict: null,
        outcome: d.input.outcome ?? null,
        policySetId: null,
        policyVersion: null,
        determiningPolicies: [],
        dataClasses: [],
        confidenceBp: d.input.confidenceBp ?? null,
        costMinor: null,
        currency: null,
        reason: d.input.reason ?? null,
        detail: d.input.detail === undefined ? null : JSON.stringify(d.input.detail),
        decidedAt: time,
        usage: modelUsage,
      });
      out.push({ topic: decisionsTopic(ns), key, value, headers });
    }
    return out;
  }

  /** Permanent failure: the original bytes and headers, plus why, go to `<agent>.dlq` in the same transaction. */
  async #sendDeadLetter(
    task: Task,
    original: { key: string | null; value: Buffer | null; headers: Readonly<Record<string, Buffer>> },
    source: string,
    cause: unknown,
    attempts: number,
  ): Promise<void> {
    const message = cause instanceof Error ? cause.message : String(cause);
    const code = isAmbitError(cause) ? cause.code : cause instanceof TerminalError ? cause.code : 'HANDLER_FAILED';
    await this.#collector.send({
      topic: dlqTopic(this.#cfg.namespace, this.#agent.name),
      partition: task.partition,
      key: original.key,
      value: original.value,
      headers: {
        ...original.headers,
        [Headers.source]: source,
        [Headers.agent]: this.#agent.name,
        [Headers.agentVersion]: this.#agent.version,
        'ambit-dlq-cause': message.slice(0, 2_000),
        'ambit-dlq-code': code,
        'ambit-dlq-attempts': String(attempts),
      },
    });
    publish('error', { event: 'dead-letter', code, source, attempts });
  }

  // ---- transactions ----

  /**
   * The task's progress, in the transaction: per input the completed offsets above the
   * committed position (a restart skips them), and the journal's read-back mark. Written only
   * when it changed, so an agent without concurrency or steps writes it rarely.
   */
  async #writeProgress(task: Task): Promise<void> {
    const writes: Array<[string, string]> = [];
    task.skipStaged = new Map();
    for (const tp of task.inputs) {
      const tracker = task.trackers.get(tp.topic);
      const at = task.positions.get(tp.topic);
      if (at === undefined) continue;
      // Done above the position: what completed here, plus what an earlier owner committed as
      // done and this task has not fetched yet (it must survive this commit too).
      const done = [...new Set([...(tracker?.doneAbove() ?? []), ...[...(task.skip.get(tp.topic) ?? [])].filter((o) => o >= at)])].sort(
        (a, b) => a - b,
      );
      task.skipStaged.set(tp.topic, new Set(done));
      const value = JSON.stringify({ at, done });
      const key = `done/${tp.topic}`;
      // No entry and nothing done above: nothing to say.
      if (done.length === 0 && !task.progressWritten.has(key)) continue;
      if (task.progressWritten.get(key) !== value) writes.push([key, value]);
    }
    const mark = this.#journal.mark(task.partition);
    if (mark >= 0 && task.progressWritten.get('journal') !== String(mark)) writes.push(['journal', String(mark)]);
    if (writes.length === 0) return;
    const scope = task.state!.beginRecord();
    const store = scope.store(PROGRESS_STORE);
    for (const [k, v] of writes) store.put(k, Buffer.from(v));
    scope.commit();
    await this.#flushChangelog();
    // Remembered as written once the transaction commits (#commit), never before.
    task.progressStaged = writes;
  }

  async #beginIfNeeded(): Promise<void> {
    if (this.#txn.open) return;
    await this.#producer.begin();
    this.#collector.reset();
    this.#txn = { open: true, records: 0, startedAt: Date.now(), tasks: new Set() };
    for (const t of this.#tasks.values()) {
      t.txnChangelogOffsets.clear();
      t.txnRecords = 0;
    }
    publish('txn', { event: 'begin', records: 0, tasks: [] });
  }

  async #commit(): Promise<void> {
    const started = Date.now();
    const running = [...this.#tasks.values()].filter((t) => t.status === 'RUNNING' && t.state);
    // Positions: the lowest incomplete offset (or one past the last record) per input.
    for (const t of running) {
      for (const tp of t.inputs) {
        const at = t.trackers.get(tp.topic)?.position();
        if (at !== undefined) t.positions.set(tp.topic, at);
      }
    }
    for (const t of running) await this.#writeProgress(t);
    for (const t of running) t.state!.seal();
    // Every running task's offsets, moved or not: the generation check must always apply.
    const offsets: OffsetToCommit[] = [];
    for (const t of running) {
      for (const tp of t.inputs) {
        const at = t.positions.get(tp.topic);
        if (at !== undefined) offsets.push({ topic: tp.topic, partition: tp.partition, offset: at });
      }
    }
    if (offsets.length > 0) await this.#producer.sendOffsets(offsets, this.#consumer);
    const sentAt = Date.now();
    if (this.#cfg.faultPauseBeforeCommit && !this.#faultFired && this.#txn.records > 0) {
      this.#faultFired = true;
      publish('fault', { event: 'paused-before-commit', records: this.#txn.records });
      process.kill(process.pid, 'SIGSTOP');
    }
    await this.#producer.commit();
    const committedAt = Date.now();
    if (this.#cfg.testHooks.afterCommit) {
      try {
        await this.#cfg.testHooks.afterCommit();
      } catch (e) {
        this.#crashed = true;
        throw new AmbitError('CONFIG_INVALID', `test hook crashed the runner after a commit: ${String(e)}`, { cause: e });
      }
    }
    await this.#collector.deliveries();
    for (const t of running) {
      const moved = t.changelogs
        .filter((cl) => t.txnChangelogOffsets.has(cl.topic))
        .map((cl) => ({ topic: cl.topic, partition: cl.partition, topicId: cl.topicId, offset: t.txnChangelogOffsets.get(cl.topic)! + 1 }));
      // One at a time: each is a synced LevelDB batch on libuv's 4-thread pool, which the
      // consumer's fetches also need (all at once gained no throughput in a quick benchmark
      // and showed a longer latency tail).
      await t.state!.committed(moved);
      t.ledger?.committed(t.positions);
      this.#journal.committed(t.partition, t.txnCauses);
      t.txnCauses.clear();
      for (const [k, v] of t.progressStaged) t.progressWritten.set(k, v);
      t.progressStaged = [];
      // What a rewind (abort) or a later fetch must not run again: the offsets this commit recorded as done.
      for (const [topic, done] of t.skipStaged) t.skip.set(topic, done);
      t.skipStaged = new Map();
    }
    this.#lastCommitAt = Date.now();
    publish('txn', { event: 'commit', records: this.#txn.records, tasks: [...this.#txn.tasks], ms: Date.now() - started });
    publish('commit', {
      records: this.#txn.records,
      tasks: [...this.#txn.tasks],
      sendOffsetsMs: sentAt - started,
      commitMs: committedAt - sentAt,
      applyMs: Date.now() - committedAt,
    });
    this.#txn = { open: false, records: 0, startedAt: 0, tasks: new Set() };
    if (!this.#revoking) await this.#maybeForceRestore();
  }

  /** Abort: abort the transaction, drop every task's buffers, rewind every partition to its committed offset. */
  async #abortTxn(why: string): Promise<void> {
    const records = this.#txn.records;
    if (this.#txn.open) {
      try {
        await this.#producer.abort();
      } catch (e) {
        if (isAmbitError(e) && (e.action === 'recreate' || e.action === 'rejoin')) await this.#recreateProducer(e);
        else if (!isAmbitError(e) || e.action !== 'retry') throw e;
      }
    }
    this.#txn = { open: false, records: 0, startedAt: 0, tasks: new Set() };
    this.#pendingChangelog = [];
    const running = [...this.#tasks.values()].filter((t) => t.status === 'RUNNING');
    for (const t of running) {
      t.state?.aborted();
      t.positions.clear();
      // Work in flight or queued is forgotten; its completions are dropped, and the rewind fetches it again.
      const wasPaused = t.backpressured;
      t.resetWork();
      t.progressStaged = [];
      t.skipStaged = new Map();
      if (wasPaused && !this.#revoking) {
        try {
          this.#consumer.resume(t.inputs);
        } catch {
          // not assigned any more
        }
      }
    }
    publish('txn', { event: 'abort', records, tasks: running.map((t) => t.partition), why });
    // Rewind; a partition with no committed offset goes back to the reset position.
    const tps = running.flatMap((t) => t.inputs);
    if (tps.length > 0 && !this.#revoking) {
      const committed = await this.#consumer.committed(tps, 30_000).catch(() => new Map<string, number>());
      for (const t of running) {
        for (const tp of t.inputs) {
          const c = committed.get(partitionKey(tp));
          await this.#consumer.seek(tp, c !== undefined && c >= 0 ? c : -2).catch(() => undefined);
          if (c !== undefined && c >= 0) t.positions.set(tp.topic, c);
        }
      }
    }
  }

  async #recreateProducer(cause: unknown): Promise<void> {
    const now = Date.now();
    this.#fences = [...this.#fences.filter((t) => now - t < FENCE_WINDOW_MS), now];
    if (isAmbitError(cause) && cause.code === 'KAFKA_FENCED' && this.#fences.length >= FENCE_LIMIT) {
      throw new AmbitError(
        'CONFIG_INVALID',
        `transactional id ${transactionalId(this.#cfg.namespace, this.#agent.name, this.#cfg.instanceId)} was fenced ${this.#fences.length} times ` +
          `in ${FENCE_WINDOW_MS / 1000} s: another live process uses instance id "${this.#cfg.instanceId}". Give every process its own instance id.`,
      );
    }
    await this.#producer.close().catch(() => undefined);
    this.#producer = await this.#newProducer();
    this.#collector.producer = this.#producer;
    this.#txn.open = false;
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
        await this.#abortTxn(`${where}: ${e.code}`);
        if (e.action === 'retry') await new Promise((r) => setTimeout(r, 500));
        return;
      case 'recreate':
        this.#log.warn(`${where}: ${e.code}; recreating the producer`, { error: e.message });
        await this.#recreateProducer(e);
        await this.#abortTxn(`${where}: ${e.code}`);
        return;
      default:
        throw e;
    }
  }
}
