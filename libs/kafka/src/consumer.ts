/**
 * A consumer over librdkafka's low-level API: read_committed by default, offsets never
 * auto-committed or auto-stored (the transaction carries them), rebalance hooks that may be
 * async and are awaited before partitions are assigned or released, and abort-and-rewind.
 * It is the source of truth for what this member currently holds.
 */
import RdKafka from '@confluentinc/kafka-javascript';
import { AmbitError, type TopicPartition } from '@ambit/core';
import { commonConfig, type KafkaConnection } from './connection.ts';
import { translateKafkaError } from './errors.ts';
import { fromClientHeaders, type ConsumedRecord } from './records.ts';
import type { IsolationLevel } from './admin.ts';

/** Methods the binding has at runtime but its type declarations omit. */
type RdConsumer = InstanceType<typeof RdKafka.KafkaConsumer> & {
  rebalanceProtocol(): 'EAGER' | 'COOPERATIVE' | 'NONE';
  incrementalAssign(tps: TopicPartition[]): void;
  incrementalUnassign(tps: TopicPartition[]): void;
  assignmentLost(): boolean;
  setDefaultIsTimeoutOnlyForFirstMessage(only: boolean): void;
};

/** librdkafka's logical offsets. */
export const OFFSET_BEGINNING = -2;
export const OFFSET_END = -1;

export interface ConsumerOptions {
  /** Required for subscribe(); omit for a manually assigned consumer (e.g. a restore consumer). */
  readonly groupId?: string;
  readonly isolation?: IsolationLevel;
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /** Eager `range` co-assigns partition p of every subscribed topic to one member (ADR in the runtime). */
  readonly assignor?: 'range' | 'roundrobin' | 'cooperative-sticky';
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
  readonly groupInstanceId?: string;
  /** Bounds librdkafka's prefetch queue per partition (invariant 12, docs/invariants.md). */
  readonly queuedMaxKbytes?: number;
  /** Called with the new partitions before they are assigned; consumption waits for it. */
  readonly onAssign?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called with the partitions being taken away before they are released (commit or abort here). */
  readonly onRevoke?: (partitions: TopicPartition[], lost: boolean) => void | Promise<void>;
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

export interface KafkaConsumer {
  subscribe(topics: readonly string[]): void;
  /** Manual assignment (no group management); offsets default to the committed/reset position. */
  assign(partitions: ReadonlyArray<TopicPartition & { offset?: number }>): void;
  /** Up to `max` records; waits at most `timeoutMs` when none are ready. */
  consume(max: number, timeoutMs?: number): Promise<ConsumedRecord[]>;
  /**
   * The first half of `consume`, for a caller that overlaps fetching with processing:
   * resolves once the client has handed over the records, without waiting for rebalance
   * hooks a poll may have started. The caller must `settled()` before using the records.
   */
  fetch(max: number, timeoutMs?: number): Promise<ConsumedRecord[]>;
  /** Resolves once no rebalance hook is running (the second half of `consume`). */
  settled(): Promise<void>;
  assignment(): TopicPartition[];
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  seek(partition: TopicPartition, offset: number, timeoutMs?: number): Promise<void>;
  /** The next offset to fetch per partition (undefined until the first fetch positions it). */
  position(partitions: readonly TopicPartition[]): Map<string, number | undefined>;
  /** Committed offsets (stable under read_committed: pending transactional offsets are waited out). */
  committed(partitions: readonly TopicPartition[], timeoutMs?: number): Promise<Map<string, number>>;
  /** Seeks every given (default: every assigned) partition back to its committed offset. */
  rewindToCommitted(partitions?: readonly TopicPartition[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const natives = new WeakMap<KafkaConsumer, RdConsumer>();

/** The client handle behind a consumer; only for sending offsets into a transaction. */
export function nativeConsumer(c: KafkaConsumer): RdConsumer {
  const n = natives.get(c);
  if (!n) throw new AmbitError('KAFKA_INVALID_CONFIG', 'not a consumer created by @ambit/kafka');
  return n;
}

/** librdkafka's ERR__ASSIGN_PARTITIONS, the rebalance callback's "assign" event. */
const RdCodes_ASSIGN = -175;

/** Map key of a partition in results (`partitionKey`). */
export const partitionKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
const key = partitionKey;

export async function createConsumer(conn: KafkaConnection, options: ConsumerOptions = {}): Promise<KafkaConsumer> {
  let rebalancing: Promise<void> | undefined;
  let closed = false;
  const reset = options.autoOffsetReset ?? 'earliest';
  const groupId = options.groupId ?? `ambit-manual-${process.pid}-${Date.now()}`;

  const config: Record<string, unknown> = {
    ...commonConfig(conn),
    ...(options.extra ?? {}),
    'group.id': groupId,
    'isolation.level': options.isolation ?? 'read_committed',
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': options.assignor ?? 'range',
    'session.timeout.ms': options.sessionTimeoutMs ?? 45_000,
    'heartbeat.interval.ms': options.heartbeatIntervalMs ?? 3_000,
    'max.poll.interval.ms': options.maxPollIntervalMs ?? 300_000,
    'queued.max.messages.kbytes': options.queuedMaxKbytes ?? 16_384,
    'enable.partition.eof': false,
    ...(options.groupInstanceId ? { 'group.instance.id': options.groupInstanceId } : {}),
    rebalance_cb: (err: { code: number }, assignment: TopicPartition[]) => {
      const tps = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
      rebalancing = (async () => {
        const cooperative = native.rebalanceProtocol() === 'COOPERATIVE';
        const apply = (): void => {
          if (err.code === RdCodes_ASSIGN) {
            if (cooperative) native.incrementalAssign(assignment);
            else native.assign(assignment);
          } else if (cooperative) native.incrementalUnassign(assignment);
          else native.unassign();
        };
        try {
          if (err.code === RdCodes_ASSIGN) await options.onAssign?.(tps);
          else await options.onRevoke?.(tps, native.assignmentLost());
        } catch (e) {
          // A failing hook must not wedge the group: release/accept anyway, surface the error.
          hookError ??= e;
        }
        try {
          apply();
        } catch (e) {
          // The client rejects (un)assign once it is disconnecting: a rebalance served by
          // close() (or racing it) has nothing left to hand over. Otherwise surface it on the
          // next consume(); this callback runs detached and must never reject.
          if (!closed) hookError ??= translateKafkaError(e, 'apply the rebalance assignment');
        } finally {
          rebalancing = undefined;
        }
      })();
    },
  };
  let hookError: unknown;
  // The reset policy must go in the topic config: an empty topic config resets it to 'latest'.
  const native = new RdKafka.KafkaConsumer(config as never, { 'auto.offset.reset': reset }) as RdConsumer;
  await new Promise<void>((resolve, reject) =>
    native.connect({ timeout: 10_000 }, (err) => (err ? reject(translateKafkaError(err, 'connect consumer')) : resolve())),
  );

  // consume(max, timeout) otherwise waits up to `timeout` for EACH message until it has
  // `max`: at a low input rate a batch then takes max x inter-arrival time (a benchmark saw
  // 3 s median latency at 470 records/s). Wait only for the first; take what else is ready.
  native.setDefaultIsTimeoutOnlyForFirstMessage(true);

  const committed = (partitions: readonly TopicPartition[], timeoutMs = 10_000): Promise<Map<string, number>> =>
    new Promise((resolve, reject) => {
      if (partitions.length === 0) return resolve(new Map());
      native.committed(
        partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
        timeoutMs,
        (err, tps) => {
          if (err) return reject(translateKafkaError(err, 'fetch committed offsets'));
          resolve(new Map(tps.map((t) => [key(t), typeof t.offset === 'number' ? t.offset : -1001])));
        },
      );
    });

  const seek = (tp: TopicPartition, offset: number, timeoutMs = 10_000): Promise<void> =>
    new Promise((resolve, reject) =>
      native.seek({ topic: tp.topic, partition: tp.partition, offset }, timeoutMs, (err) =>
        err ? reject(translateKafkaError(err, `seek ${tp.topic}[${tp.partition}] to ${offset}`)) : resolve(),
      ),
    );

  const consumer: KafkaConsumer = {
    subscribe(topics) {
      if (!options.groupId) throw new AmbitError('KAFKA_INVALID_CONFIG', 'subscribe() needs a groupId');
      native.subscribe([...topics]);
    },
    assign(partitions) {
      native.assign(
        partitions.map((p) => ({ topic: p.topic, partition: p.partition, ...(p.offset === undefined ? {} : { offset: p.offset }) })),
      );
    },
    async consume(max, timeoutMs = 100) {
      const records = await consumer.fetch(max, timeoutMs);
      // A rebalance served during this poll runs its hooks first: callers never see records
      // while partitions are changing hands.
      await consumer.settled();
      return records;
    },
    async fetch(max, timeoutMs = 100) {
      if (closed) return [];
      while (rebalancing) await rebalancing;
      if (hookError !== undefined) {
        const e = hookError;
        hookError = undefined;
        throw e;
      }
      native.setDefaultConsumeTimeout(timeoutMs);
      const messages = await new Promise<RdKafka.Message[]>((resolve, reject) =>
        native.consume(max, (err, msgs) => (err ? reject(translateKafkaError(err, 'consume')) : resolve(msgs))),
      );
      return messages.map((m) => {
        const keyBytes = m.key == null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key), 'utf8');
        return {
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: keyBytes === null ? null : keyBytes.toString('utf8'),
          keyBytes,
          value: m.value ?? null,
          headers: fromClientHeaders(m.headers),
          timestamp: m.timestamp ?? 0,
        };
      });
    },
    async settled() {
      while (rebalancing) await rebalancing;
    },
    assignment: () => native.assignments().map((a) => ({ topic: a.topic, partition: a.partition })),
    pause: (partitions) => void native.pause(partitions.map((p) => ({ topic: p.topic, partition: p.partition }))),
    resume: (partitions) => void native.resume(partitions.map((p) => ({ topic: p.topic, partition: p.partition }))),
    seek,
    committed,
    position(partitions) {
      const out = new Map<string, number | undefined>();
      const rows = native.position(partitions.map((p) => ({ topic: p.topic, partition: p.partition })));
      for (const r of rows) out.set(key(r), typeof r.offset === 'number' && r.offset >= 0 ? r.offset : undefined);
      return out;
    },
    async rewindToCommitted(partitions, timeoutMs = 10_000) {
      const tps = partitions ?? consumer.assignment();
      const offsets = await committed(tps, timeoutMs);
      for (const tp of tps) {
        const c = offsets.get(key(tp)) ?? -1001;
        // No committed offset: go back to where the reset policy would start.
        const target = c >= 0 ? c : reset === 'earliest' ? OFFSET_BEGINNING : OFFSET_END;
        await seek(tp, target, timeoutMs);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      while (rebalancing) await rebalancing;
      await new Promise<void>((resolve) => native.disconnect(() => resolve()));
    },
  };
  natives.set(consumer, native);
  return consumer;
}
