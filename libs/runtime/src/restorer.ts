/**
 * Restores a task's stores from their changelogs, outside the rebalance callback
 * (invariant 5, docs/invariants.md):
 *   1. the task's committed input offsets are fetched stable (a paused former owner may
 *      still commit: librdkafka's read_committed `committed()` waits out pending offsets);
 *   2. only then each changelog's last stable offset is taken;
 *   3. the checkpoint is checked (topic id, range, tombstone age) and the store is
 *      wiped when it cannot be trusted, or the run stops when the changelog was recreated;
 *   4. a separate, manually assigned read_committed consumer replays [checkpoint, LSO).
 * The restorer owns the restore consumer; the task owns its state.
 */
import { AmbitError, isAmbitError, type Logger } from '@ambit/core';
import { createConsumer, partitionKey, type KafkaAdmin, type KafkaConnection, type KafkaConsumer } from '@ambit/kafka';
import type { ChangelogOffset, ChangelogRecord } from '@ambit/state';
import { publish } from './diagnostics.ts';
import type { Task } from './task.ts';

export interface RestoreOptions {
  readonly admin: KafkaAdmin;
  readonly mainConsumer: KafkaConsumer;
  readonly conn: KafkaConnection;
  readonly stateReset: boolean;
  readonly logger: Logger;
  readonly isCancelled: () => boolean;
}

export class Restorer {
  #consumer: KafkaConsumer | undefined;
  readonly #o: RestoreOptions;

  constructor(options: RestoreOptions) {
    this.#o = options;
  }

  /** Restores `task` (state already open) and returns the committed input offsets to resume from. */
  async restore(task: Task): Promise<Map<string, number>> {
    const o = this.#o;
    const started = Date.now();
    const state = task.state!;
    // 1. Committed offsets first, stable.
    const committed = await retrying(() => o.mainConsumer.committed(task.inputs, 15_000), o);
    // 2. Then the changelogs' last stable offsets and current topic ids.
    let records = 0;
    const checkpoint = state.readCheckpoint();
    const plans: Array<{ topic: string; partition: number; topicId: string; store: string; from: number; to: number }> = [];
    let wipe = false;
    for (const cl of task.changelogs) {
      const offsets = (await o.admin.endOffsets(cl.topic, 'read_committed')).find((p) => p.partition === cl.partition);
      // The topic id read at start (a changelog recreated since the process started is caught on its next start).
      const topicId = cl.topicId;
      const lso = offsets?.high ?? 0;
      const low = offsets?.low ?? 0;
      const cp = checkpoint?.changelogs.find((c) => c.topic === cl.topic && c.partition === cl.partition);
      if (cp && cp.topicId !== topicId) {
        if (!o.stateReset) {
          throw new AmbitError(
            'STATE_CHANGELOG_RECREATED',
            `changelog ${cl.topic} was recreated (topic id ${cp.topicId} -> ${topicId}): the local store of task ${task.partition} ` +
              'no longer matches it. Restart with a state reset (AMBIT_STATE_RESET=1) to rebuild the store from the new changelog.',
            { details: { topic: cl.topic, partition: cl.partition } },
          );
        }
        wipe = true;
      } else if (cp && (cp.offset > lso || cp.offset < low)) {
        wipe = true; // out of range: truncated or compacted past us
      } else if (checkpoint && Date.now() - checkpoint.writtenAt > cl.deleteRetentionMs) {
        // Older than the changelog's tombstone retention: compaction may have removed deletes
        // this store never saw, which replaying the tail cannot bring back.
        wipe = true;
      }
      plans.push({ topic: cl.topic, partition: cl.partition, topicId, store: cl.store, from: cp?.offset ?? 0, to: lso });
    }
    if (wipe) {
      publish('restore', { task: task.partition, event: 'wipe', records: 0, ms: 0 });
      o.logger.warn('local state cannot be trusted: wiping and rebuilding from the changelog', { task: task.partition });
      await state.wipe();
      for (const p of plans) p.from = 0;
    }
    publish('restore', {
      task: task.partition,
      event: 'start',
      records: 0,
      ms: 0,
      plans: plans.map((p) => ({ topic: p.topic, from: p.from, to: p.to })),
    });
    for (const p of plans) {
      if (o.isCancelled() || task.status === 'CLOSED')
        throw new AmbitError('KAFKA_STALE_GENERATION', `task ${task.partition} revoked during restore`);
      records += await this.#replay(task, p);
    }
    publish('restore', { task: task.partition, event: 'done', records, ms: Date.now() - started });
    const resumeAt = new Map<string, number>();
    for (const tp of task.inputs) {
      const c = committed.get(partitionKey(tp));
      if (c !== undefined && c >= 0) resumeAt.set(tp.topic, c);
    }
    return resumeAt;
  }

  async #replay(
    task: Task,
    p: { topic: string; partition: number; topicId: string; store: string; from: number; to: number },
  ): Promise<number> {
    const state = task.state!;
    if (p.from >= p.to) {
      // Nothing to read, but record where we are (a fresh store learns the topic id).
      await state.applyRestoreBatch([], [{ topic: p.topic, partition: p.partition, topicId: p.topicId, offset: p.to }]);
      return 0;
    }
    const c = await this.#restoreConsumer();
    c.assign([{ topic: p.topic, partition: p.partition, offset: p.from }]);
    let count = 0;
    const started = Date.now();
    let lastProgress = started;
    try {
      for (;;) {
        if (this.#o.isCancelled() || task.status === 'CLOSED') {
          throw new AmbitError('KAFKA_STALE_GENERATION', `task ${task.partition} revoked during restore`);
        }
        const batch = await c.consume(2000, 100);
        const records: ChangelogRecord[] = [];
        let next = -1;
        for (const r of batch) {
          if (r.offset >= p.to) break;
          if (r.key === null) continue;
          records.push({ store: p.store, key: r.key, value: r.value });
          next = r.offset + 1;
        }
        const position = c.position([{ topic: p.topic, partition: p.partition }]).get(partitionKey(p)) ?? p.from;
        const reached = Math.min(Math.max(next, position), p.to);
        if (records.length > 0 || reached > p.from) {
          const offsets: ChangelogOffset[] = [
            { topic: p.topic, partition: p.partition, topicId: p.topicId, offset: Math.max(reached, next) },
          ];
          await state.applyRestoreBatch(records, offsets);
          count += records.length;
        }
        if (Date.now() - lastProgress > 1000) {
          lastProgress = Date.now();
          publish('restore', { task: task.partition, event: 'progress', records: count, ms: lastProgress - started });
        }
        if (reached >= p.to) break;
      }
    } finally {
      c.assign([]);
    }
    return count;
  }

  async #restoreConsumer(): Promise<KafkaConsumer> {
    if (!this.#consumer) {
      this.#consumer = await createConsumer(
        { ...this.#o.conn, clientId: `${this.#o.conn.clientId ?? 'ambit'}-restore` },
        { isolation: 'read_committed', autoOffsetReset: 'earliest', queuedMaxKbytes: 65_536 },
      );
    }
    return this.#consumer;
  }

  async close(): Promise<void> {
    await this.#consumer?.close();
    this.#consumer = undefined;
  }
}

/** Retries retriable Kafka errors (pending transactional offsets, coordinator moves) for up to a minute. */
async function retrying<T>(fn: () => Promise<T>, o: RestoreOptions): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isAmbitError(e) || e.action !== 'retry' || Date.now() > deadline || o.isCancelled()) throw e;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1000)));
    }
  }
}
