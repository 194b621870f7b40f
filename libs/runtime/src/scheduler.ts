/**
 * The scheduler: what runs when, per task (invariant 6, docs/invariants.md). Fetched
 * records queue in offset order; records of one key run strictly in order, records of
 * different keys concurrently up to `maxInFlight`, within `maxDistance` of the lowest
 * incomplete offset (past it the task's inputs pause: backpressure); due timers take their
 * key's slot; suspects left by an unclean stop run alone first. Source of truth for which
 * work is running (the task holds the slots; the scheduler decides).
 *
 * With `maxInFlight` 1 there is nothing to overlap: a task's queue runs batch-at-a-time on
 * the loop's turn (`#runBatch`), each record staged as it completes, without a completion
 * hop per record. A batch yields after `batchBudgetMs` so the loop keeps polling.
 */
import { AmbitError, type Logger } from '@ambit/core';
import type { ConsumedRecord, KafkaConsumer } from '@ambit/kafka';
import { publish } from './diagnostics.ts';
import type { Executor } from './executor.ts';
import { dueTimers, TIMER_STORE, timerSource } from './processor/index.ts';
import type { Task } from './task.ts';
import type { Transaction } from './transaction.ts';
import type { Running, Work } from './work.ts';

/** Queued records the in-flight ledger claims beyond the ones starting (see `#claim`). */
const LEDGER_AHEAD = 32;
/** How often each task's timer index is scanned, and how many timers one scan fires at most. */
const TIMER_SCAN_INTERVAL_MS = 50;
const TIMER_BATCH = 200;
/** How long a revocation waits for running work to finish before releasing its partitions. */
const REVOKE_DRAIN_MS = 5_000;

export interface SchedulerOptions {
  readonly maxInFlight: number;
  readonly maxDistance: number;
  readonly maxCrashAttempts: number;
  readonly handlerTimeoutMs: number;
  readonly handlerAttempts: number;
  /** How long one batch-at-a-time turn may run before the loop polls again. */
  readonly batchBudgetMs: number;
  readonly timersEnabled: boolean;
  readonly executor: Executor;
  readonly txn: Transaction;
  readonly consumer: () => KafkaConsumer;
  readonly logger: Logger;
}

/** What the scheduler needs from the runner that owns the loop and the lock. */
export interface SchedulerHost {
  /** Runs `fn` under the runner's lock (serialized with the loop and the rebalance hooks). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Acts on an error by the action its code names (abort and rewind, recreate, fail). */
  handleError(e: unknown, where: string): Promise<void>;
  /** Commits the open transaction (and what follows a commit). */
  commit(): Promise<void>;
  /** False while the process is stopping or stalled past the session timeout: start nothing new. */
  mayStart(): boolean;
  /** False while the process stalled past the session timeout (stopping does not count). */
  notStalled(): boolean;
  /** An error no handler could take: the loop stops with it. */
  fatal(e: unknown): void;
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #host: SchedulerHost;
  #lastTimerScan = 0;

  constructor(options: SchedulerOptions, host: SchedulerHost) {
    this.#o = options;
    this.#host = host;
  }

  /** Fetched records join their running task's queue; records of other tasks are dropped (the task seeks back before it runs). */
  enqueue(records: readonly ConsumedRecord[], tasks: ReadonlyMap<number, Task>): void {
    for (const r of records) {
      const task = tasks.get(r.partition);
      if (!task || task.status !== 'RUNNING' || !task.holdsInput(r.topic)) continue;
      task.enqueue(r);
    }
  }

  /** Starts what may start for `task` (under the lock). */
  async pump(task: Task): Promise<void> {
    if (!this.#host.mayStart()) return;
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
    if (this.#o.maxInFlight === 1) return this.#runBatch(task);
    this.#pickConcurrent(task);
  }

  /**
   * maxInFlight 1: runs the queue in order on this turn, each record staged into the
   * transaction as it completes, until the queue is empty, the budget is spent or a commit
   * is due. Errors abort as anywhere else.
   */
  async #runBatch(task: Task): Promise<void> {
    const started = Date.now();
    let i = 0;
    const queue = task.pending;
    try {
      while (i < queue.length && task.status === 'RUNNING' && task.inFlight === 0 && task.pending === queue) {
        // Stalled (SIGSTOP) between two records, or stopping: start nothing more.
        if (!this.#host.mayStart()) break;
        if (Date.now() - started >= this.#o.batchBudgetMs && i > 0) break;
        const r = queue[i++]!;
        this.#claim(task, r, queue, i);
        const work: Work = { kind: 'record', key: r.key ?? '', source: this.#o.executor.sourceOf(r), r };
        const epoch = task.epoch;
        task.started(work);
        const stage = await this.#o.executor.execute(task, work);
        if (task.epoch !== epoch || task.status !== 'RUNNING') {
          stage.drop(); // aborted or revoked meanwhile
          return;
        }
        await stage.apply();
        task.completed(work);
        this.#o.txn.completed(task);
      }
    } catch (e) {
      await this.#host.handleError(e, 'handler');
      return;
    } finally {
      if (task.pending === queue && i > 0) task.pending = queue.slice(i);
    }
  }

  /** The concurrent path: queued records whose key is idle, up to capacity, within the distance bound. */
  #pickConcurrent(task: Task): void {
    const capacity = this.#o.maxInFlight - task.inFlight;
    if (capacity <= 0) return;
    const picked: ConsumedRecord[] = [];
    const rest: ConsumedRecord[] = [];
    const held = new Set<string>();
    // Nothing starts while picking, so each topic's lowest incomplete offset is fixed here.
    const lowest = new Map<string, number | undefined>();
    // Stops at capacity: scanning the whole queue on every completion was quadratic.
    let scanned = 0;
    for (; scanned < task.pending.length && picked.length < capacity; scanned++) {
      const r = task.pending[scanned]!;
      const key = r.key ?? '';
      if (!lowest.has(r.topic)) lowest.set(r.topic, task.tracker(r.topic).lowestIncomplete());
      const low = lowest.get(r.topic) ?? r.offset;
      if (task.isBusy(key) || held.has(key) || r.offset - low > this.#o.maxDistance) {
        held.add(key); // later records of this key wait behind it
        rest.push(r);
        continue;
      }
      held.add(key);
      picked.push(r);
    }
    if (picked.length === 0) return;
    task.pending = rest.length === 0 ? task.pending.slice(scanned) : rest.concat(task.pending.slice(scanned));
    const highest = new Map<string, number>();
    for (const r of picked) highest.set(r.topic, Math.max(highest.get(r.topic) ?? -1, r.offset));
    if (task.ledger?.covers(highest) === false) {
      for (const r of task.pending.slice(0, LEDGER_AHEAD)) highest.set(r.topic, Math.max(highest.get(r.topic) ?? -1, r.offset));
      task.ledger.dispatch(highest);
    }
    for (const r of picked) this.#start(task, { kind: 'record', key: r.key ?? '', source: this.#o.executor.sourceOf(r), r });
  }

  /**
   * On disk before a record runs: the evidence an unclean stop leaves. Claimed ahead, over
   * the next LEDGER_AHEAD queued records too, so the ledger is written once per that many
   * records instead of per record; the price is at most that many more records re-run alone
   * after an unclean stop.
   */
  #claim(task: Task, r: ConsumedRecord, queue: readonly ConsumedRecord[], next: number): void {
    const ledger = task.ledger;
    if (!ledger || ledger.coversOffset(r.topic, r.offset)) return;
    const highest = new Map([[r.topic, r.offset]]);
    for (const q of queue.slice(next, next + LEDGER_AHEAD)) highest.set(q.topic, Math.max(highest.get(q.topic) ?? -1, q.offset));
    ledger.dispatch(highest);
  }

  /** Runs `work` concurrently; its completion is applied under the lock, unless the task moved on (abort, revoke) since. */
  #start(task: Task, work: Work): void {
    task.started(work);
    const epoch = task.epoch;
    const running: Running = { work, epoch, stage: undefined, applied: false, settled: undefined as unknown as Promise<void> };
    task.running.add(running);
    running.settled = this.#o.executor.execute(task, work).then(
      (stage) => {
        running.stage = stage;
      },
      (e: unknown) => {
        running.error = e;
      },
    );
    void running.settled
      .then(() =>
        this.#host.exclusive(async () => {
          task.running.delete(running);
          if (running.applied) return; // applied by a revocation that waited for it
          if (running.stage) return this.#complete(task, epoch, work, running.stage);
          if (task.epoch !== epoch) return;
          await this.#host.handleError(running.error, 'handler');
        }),
      )
      .catch((e: unknown) => this.#host.fatal(e));
  }

  async #complete(task: Task, epoch: number, work: Work, stage: NonNullable<Running['stage']>): Promise<void> {
    if (task.epoch !== epoch || task.status !== 'RUNNING') {
      stage.drop(); // a completion of a revoked, restored or rewound task
      return;
    }
    try {
      await stage.apply();
    } catch (e) {
      stage.drop();
      await this.#host.handleError(e, 'staging a completed record');
      return;
    }
    task.completed(work);
    this.#o.txn.completed(task);
    await this.pump(task);
  }

  /**
   * Before a revoked task is committed and released: wait (bounded) for the work it runs,
   * and stage what completes, so the next owner does not run it (and pay its steps) again.
   */
  async settleRunning(task: Task): Promise<void> {
    if (task.running.size === 0 || task.status !== 'RUNNING') return;
    const waitMs = Math.min(this.#o.handlerTimeoutMs, REVOKE_DRAIN_MS);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...task.running].map((r) => r.settled)), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    for (const r of [...task.running]) {
      if (!r.stage || r.applied || r.epoch !== task.epoch) continue;
      try {
        await r.stage.apply();
        r.applied = true;
        task.completed(r.work);
        this.#o.txn.completed(task);
      } catch (e) {
        r.stage.drop();
        this.#o.logger.warn('could not stage a completed record on revocation; the next owner runs it', { error: String(e) });
        return;
      }
    }
  }

  /**
   * A suspect left by an unclean stop runs alone in its own transaction, after its start is
   * counted; one that already took the process down `maxCrashAttempts` times (the stop that
   * made it a suspect included) goes to the DLQ without running.
   */
  async #runSuspect(task: Task, r: ConsumedRecord, upTo: number): Promise<void> {
    if (this.#o.txn.open) await this.#host.commit();
    if (task.status !== 'RUNNING') return; // a forced restore took the task at that commit
    const ledger = task.ledger!;
    const work: Work = { kind: 'record', key: r.key ?? '', source: this.#o.executor.sourceOf(r), r };
    // Crashes so far: the unclean stop that left it in flight, plus every solo start that never returned.
    const crashes = 1 + ledger.crashedStarts(r.topic, r.offset);
    if (crashes >= this.#o.maxCrashAttempts) {
      const cause = new AmbitError(
        'RUNTIME_POISON_RECORD',
        `record ${work.source} was in flight at ${crashes} unclean stops of the process; dead-lettered without running it again`,
      );
      this.#o.logger.error('poison record: dead-lettered after crashing the process', { source: work.source, crashes });
      await this.#o.executor.deadLetterStage(task, r, work.source, cause, crashes).apply();
    } else {
      ledger.startSolo(r.topic, r.offset);
      try {
        const stage = await this.#o.executor.execute(task, work);
        await stage.apply();
      } finally {
        // Returned, even with an error (a registry outage aborts and retries): not a crash.
        ledger.endSolo(r.topic, r.offset);
      }
    }
    task.finished(work);
    this.#o.txn.completed(task);
    if (this.#o.txn.open) await this.#host.commit();
    if (r.offset >= upTo) task.suspects.delete(r.topic);
  }

  /**
   * Starts due timers of every running task, a bounded batch per scan, each in its key's
   * slot (a busy key's timer waits for the next scan); idle partitions included.
   */
  async fireTimers(tasks: Iterable<Task>): Promise<void> {
    if (!this.#o.timersEnabled) return;
    const now = Date.now();
    if (now - this.#lastTimerScan < TIMER_SCAN_INTERVAL_MS) return;
    this.#lastTimerScan = now;
    for (const task of tasks) {
      if (task.status !== 'RUNNING' || !task.state || task.suspects.size > 0 || !this.#host.mayStart()) continue;
      const due = await dueTimers(task.state.store(TIMER_STORE), now, TIMER_BATCH);
      for (const t of due) {
        if (!this.#host.mayStart() || task.status !== 'RUNNING' || task.inFlight >= this.#o.maxInFlight) break;
        if (task.isBusy(t.key)) continue;
        this.#start(task, { kind: 'timer', key: t.key, source: timerSource(task.partition, t), t });
      }
    }
  }

  /** Pauses a task's inputs while its queue is past the distance bound; resumes below half of it. */
  applyBackpressure(tasks: Iterable<Task>): void {
    const max = this.#o.maxDistance;
    for (const task of tasks) {
      if (task.status !== 'RUNNING') continue;
      const over = task.pending.length > max;
      try {
        if (over && !task.backpressured) {
          this.#o.consumer().pause(task.inputs);
          task.backpressured = true;
          publish('task', { task: task.partition, state: 'RUNNING', paused: 'distance bound', queued: task.pending.length });
        } else if (!over && task.backpressured && task.pending.length <= max / 2) {
          this.#o.consumer().resume(task.inputs);
          task.backpressured = false;
          publish('task', { task: task.partition, state: 'RUNNING', paused: false, queued: task.pending.length });
        }
      } catch {
        // mid-rebalance: next round
      }
    }
  }

  /** Graceful stop: wait (bounded) for what runs to complete, so its results commit. */
  async drain(tasks: () => Iterable<Task>): Promise<void> {
    const deadline = Date.now() + Math.min(this.#o.handlerTimeoutMs * this.#o.handlerAttempts, 30_000);
    const busy = () => [...tasks()].some((t) => t.status === 'RUNNING' && t.inFlight > 0);
    while (Date.now() < deadline && busy()) await new Promise((r) => setTimeout(r, 10));
  }
}
