/**
 * Producers over librdkafka's low-level API: an idempotent one for plain writes and a
 * transactional one for EOS v2 (offsets sent with the consumer's group metadata and
 * optional commit metadata). Both set the Java-compatible partitioner explicitly.
 * The transactional producer is the source of truth for "is a transaction open".
 */
import RdKafka from '@confluentinc/kafka-javascript';
import { AmbitError } from '@ambit/core';
import { commonConfig, type KafkaConnection } from './connection.ts';
import { RdCodes, translateKafkaError, type ErrorContext } from './errors.ts';
import { JAVA_COMPATIBLE_PARTITIONER } from './partitioner.ts';
import { toClientHeaders, type DeliveryReport, type OffsetToCommit, type ProducerRecord } from './records.ts';
import { nativeConsumer, type KafkaConsumer } from './consumer.ts';

type RdProducer = InstanceType<typeof RdKafka.Producer>;

export interface ProducerOptions {
  readonly lingerMs?: number;
  readonly batchSize?: number;
  readonly compression?: 'none' | 'lz4' | 'zstd' | 'gzip' | 'snappy';
  /** Bounds librdkafka's local queue (invariant 12, docs/invariants.md). */
  readonly queueMaxMessages?: number;
  readonly queueMaxKbytes?: number;
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

export interface TransactionalProducerOptions extends ProducerOptions {
  readonly transactionalId: string;
  /** Kafka Streams' EOS default (10 s) rather than librdkafka's 60 s (invariant 2, docs/invariants.md). */
  readonly transactionTimeoutMs?: number;
}

function producerConfig(conn: KafkaConnection, o: ProducerOptions): Record<string, string | number | boolean> {
  return {
    ...commonConfig(conn),
    ...(o.extra ?? {}),
    partitioner: JAVA_COMPATIBLE_PARTITIONER,
    'enable.idempotence': true,
    acks: 'all',
    'linger.ms': o.lingerMs ?? 5,
    'batch.size': o.batchSize ?? 1_000_000,
    'compression.type': o.compression ?? 'lz4',
    'queue.buffering.max.messages': o.queueMaxMessages ?? 100_000,
    'queue.buffering.max.kbytes': o.queueMaxKbytes ?? 256 * 1024,
    dr_cb: true,
  };
}

function promisify<T = void>(fn: (cb: (err: unknown, v?: T) => void) => void, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, v) => (err ? reject(translateKafkaError(err, what)) : resolve(v as T)));
  });
}

async function connectProducer(p: RdProducer, what: string): Promise<void> {
  await promisify((cb) => p.connect({ timeout: 10_000 }, (err) => cb(err)), what);
  p.setPollInterval(20);
}

async function disconnect(p: RdProducer): Promise<void> {
  await new Promise<void>((resolve) => p.disconnect(5_000, () => resolve()));
}

/** Queues one record; false when librdkafka's local queue is full (nothing queued). Other errors throw, translated. */
function tryProduceOne(p: RdProducer, r: ProducerRecord, opaque: unknown, context: ErrorContext = {}): boolean {
  try {
    p.produce(
      r.topic,
      r.partition ?? -1,
      r.value,
      // A string key is converted by the client without a JS Buffer per record.
      r.key as never,
      r.timestamp ?? null,
      opaque,
      toClientHeaders(r.headers) as never,
    );
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === RdCodes.QUEUE_FULL) return false;
    throw translateKafkaError(e, `produce to ${r.topic}`, context);
  }
}

/** Produces one record, waiting for queue space instead of failing when the local queue is full. */
async function produceOne(p: RdProducer, r: ProducerRecord, opaque: unknown, context: ErrorContext = {}): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (tryProduceOne(p, r, opaque, context)) return;
    if (attempt >= 1000)
      throw translateKafkaError(
        Object.assign(new Error('local queue full'), { code: RdCodes.QUEUE_FULL }),
        `produce to ${r.topic}`,
        context,
      );
    p.poll();
    await new Promise((res) => setTimeout(res, 5));
  }
}

const TXN_CONTEXT: ErrorContext = Object.freeze({ producingInTransaction: true });

/** An idempotent, non-transactional producer; `send` resolves when every record is acknowledged. */
export interface KafkaProducer {
  send(records: readonly ProducerRecord[]): Promise<DeliveryReport[]>;
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createProducer(conn: KafkaConnection, options: ProducerOptions = {}): Promise<KafkaProducer> {
  const p = new RdKafka.Producer(producerConfig(conn, options));
  type Pending = { resolve: (r: DeliveryReport) => void; reject: (e: unknown) => void };
  p.on('delivery-report', (err, report) => {
    const pending = report.opaque as Pending | undefined;
    if (!pending) return;
    if (err) pending.reject(translateKafkaError(err, `deliver to ${report.topic}`));
    else pending.resolve({ topic: report.topic, partition: report.partition, offset: Number(report.offset) });
  });
  await connectProducer(p, 'connect producer');
  return {
    async send(records) {
      const reports: Array<Promise<DeliveryReport>> = [];
      for (const r of records) {
        let pending!: Pending;
        reports.push(new Promise<DeliveryReport>((resolve, reject) => (pending = { resolve, reject })));
        await produceOne(p, r, pending);
      }
      p.poll();
      return Promise.all(reports);
    },
    flush: (timeoutMs = 30_000) => promisify((cb) => p.flush(timeoutMs, (err) => cb(err)), 'flush'),
    close: () => disconnect(p),
  };
}

/**
 * One transactional producer. Calls must follow the transaction state machine:
 *   init -> (begin -> produce* -> sendOffsets -> commit | abort)*
 * Any error comes back as an AmbitError whose code says what to do: KAFKA_TXN_ABORTABLE
 * (abort and rewind), KAFKA_STALE_GENERATION / KAFKA_FENCED (abort if possible, rejoin),
 * KAFKA_FATAL (close and recreate), KAFKA_TIMEOUT / KAFKA_RETRIABLE (retry the call).
 */
export interface TransactionalProducer {
  readonly transactionalId: string;
  init(timeoutMs?: number): Promise<void>;
  begin(): Promise<void>;
  /**
   * Queues a record in the open transaction; delivery errors surface at commit.
   * `onDelivered` receives the record's offset once the broker has it (changelog checkpoints need it).
   */
  produce(record: ProducerRecord, onDelivered?: (report: DeliveryReport) => void): Promise<void>;
  /**
   * `produce` without waiting: false when the local queue is full and nothing was queued
   * (then call `produce`, which waits for space). The hot path's form: no promise per record.
   */
  tryProduce(record: ProducerRecord, onDelivered?: (report: DeliveryReport) => void): boolean;
  /** Dispatches delivery reports that have arrived, now (they are otherwise dispatched every 20 ms). */
  poll(): void;
  /** Sends the consumer's offsets (with its current group metadata) into the transaction. */
  sendOffsets(offsets: readonly OffsetToCommit[], consumer: KafkaConsumer, timeoutMs?: number): Promise<void>;
  /** Waits until every queued record reached the broker (commit does this itself). */
  flush(timeoutMs?: number): Promise<void>;
  commit(timeoutMs?: number): Promise<void>;
  abort(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createTransactionalProducer(
  conn: KafkaConnection,
  options: TransactionalProducerOptions,
): Promise<TransactionalProducer> {
  if (!options.transactionalId) throw new AmbitError('KAFKA_INVALID_CONFIG', 'transactionalId is required');
  const p = new RdKafka.Producer({
    ...producerConfig(conn, options),
    'transactional.id': options.transactionalId,
    'transaction.timeout.ms': options.transactionTimeoutMs ?? 10_000,
  });
  let deliveryError: unknown;
  p.on('delivery-report', (err, report) => {
    if (err) {
      if (deliveryError === undefined) deliveryError = err;
      return;
    }
    const onDelivered = report.opaque as ((r: DeliveryReport) => void) | undefined;
    onDelivered?.({ topic: report.topic, partition: report.partition, offset: Number(report.offset) });
  });
  await connectProducer(p, `connect transactional producer ${options.transactionalId}`);
  const id = options.transactionalId;
  return {
    transactionalId: id,
    init: (timeoutMs = 30_000) => promisify((cb) => p.initTransactions(timeoutMs, cb), `init transactions (${id})`),
    // beginTransaction runs on a worker thread: producing before its callback fails with ERR__STATE.
    begin() {
      deliveryError = undefined;
      return promisify((cb) => p.beginTransaction(cb), `begin transaction (${id})`);
    },
    produce: (record, onDelivered) => produceOne(p, record, onDelivered, TXN_CONTEXT),
    tryProduce: (record, onDelivered) => tryProduceOne(p, record, onDelivered, TXN_CONTEXT),
    poll: () => void p.poll(),
    sendOffsets: (offsets, consumer, timeoutMs = 30_000) =>
      promisify(
        (cb) =>
          p.sendOffsetsToTransaction(
            offsets.map((o) => ({
              topic: o.topic,
              partition: o.partition,
              offset: o.offset,
              ...(o.metadata ? { metadata: o.metadata } : {}),
            })),
            nativeConsumer(consumer) as never,
            timeoutMs,
            cb,
          ),
        `send offsets to transaction (${id})`,
      ),
    flush: (timeoutMs = 30_000) => promisify((cb) => p.flush(timeoutMs, (err) => cb(err)), `flush (${id})`),
    async commit(timeoutMs = 30_000) {
      await promisify((cb) => p.commitTransaction(timeoutMs, cb), `commit transaction (${id})`);
      if (deliveryError !== undefined) {
        // librdkafka fails the commit itself when a delivery failed; this is a second guard.
        const e = deliveryError;
        deliveryError = undefined;
        throw translateKafkaError(e, `delivery in committed transaction (${id})`);
      }
    },
    abort: (timeoutMs = 30_000) => promisify((cb) => p.abortTransaction(timeoutMs, cb), `abort transaction (${id})`),
    close: () => disconnect(p),
  };
}

/**
 * Proves transactions work end to end on a broker: init (which creates the transaction
 * state topic on first use), begin, abort, close. The launcher's readiness check.
 */
export async function probeTransactions(
  conn: KafkaConnection,
  transactionalId = `ambit-probe-${process.pid}`,
  timeoutMs = 30_000,
): Promise<void> {
  const producer = await createTransactionalProducer(conn, { transactionalId, transactionTimeoutMs: 10_000 });
  try {
    await producer.init(timeoutMs);
    await producer.begin();
    await producer.abort(timeoutMs);
  } finally {
    await producer.close();
  }
}
