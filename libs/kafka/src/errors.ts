/**
 * The one place librdkafka / KafkaJS errors become Ambit errors (principle 5, docs/principles.md).
 * Order matters: specific codes that say "rejoin" or "recreate" win over librdkafka's
 * generic flags, because a stale-generation offset commit is also flagged abortable, and
 * the caller must rejoin rather than just retry the transaction.
 */
import { AmbitError, type ErrorCode } from '@ambit/core';

/** librdkafka error codes we act on (values from librdkafka's rdkafka.h). */
export const RdCodes = {
  FENCED: -144, // ERR__FENCED: producer fenced locally
  PRODUCER_FENCED: 90,
  INVALID_PRODUCER_EPOCH: 47,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  REBALANCE_IN_PROGRESS: 27,
  FENCED_INSTANCE_ID: 82,
  ASSIGNMENT_LOST: -142,
  MAX_POLL_EXCEEDED: -147,
  TIMED_OUT: -185,
  TIMED_OUT_QUEUE: -166,
  TRANSPORT: -195,
  ALL_BROKERS_DOWN: -187,
  RESOLVE: -193,
  FATAL: -150,
  STATE: -172,
  UNKNOWN_TOPIC_OR_PART: 3,
  UNKNOWN_TOPIC: -188,
  QUEUE_FULL: -184,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  CONCURRENT_TRANSACTIONS: 51,
  UNSTABLE_OFFSET_COMMIT: 88,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  INVALID_ARG: -186,
  INVALID_CONFIG: 40,
} as const;

const byCode = new Map<number, ErrorCode>([
  [RdCodes.ILLEGAL_GENERATION, 'KAFKA_STALE_GENERATION'],
  [RdCodes.UNKNOWN_MEMBER_ID, 'KAFKA_STALE_GENERATION'],
  [RdCodes.FENCED_INSTANCE_ID, 'KAFKA_STALE_GENERATION'],
  [RdCodes.ASSIGNMENT_LOST, 'KAFKA_STALE_GENERATION'],
  [RdCodes.MAX_POLL_EXCEEDED, 'KAFKA_STALE_GENERATION'],
  [RdCodes.FENCED, 'KAFKA_FENCED'],
  [RdCodes.PRODUCER_FENCED, 'KAFKA_FENCED'],
  [RdCodes.INVALID_PRODUCER_EPOCH, 'KAFKA_FENCED'],
  [RdCodes.REBALANCE_IN_PROGRESS, 'KAFKA_REBALANCE_IN_PROGRESS'],
  [RdCodes.TIMED_OUT, 'KAFKA_TIMEOUT'],
  [RdCodes.TIMED_OUT_QUEUE, 'KAFKA_TIMEOUT'],
  [RdCodes.TRANSPORT, 'KAFKA_BROKER_UNAVAILABLE'],
  [RdCodes.ALL_BROKERS_DOWN, 'KAFKA_BROKER_UNAVAILABLE'],
  [RdCodes.RESOLVE, 'KAFKA_BROKER_UNAVAILABLE'],
  [RdCodes.UNKNOWN_TOPIC_OR_PART, 'KAFKA_TOPIC_NOT_FOUND'],
  [RdCodes.UNKNOWN_TOPIC, 'KAFKA_TOPIC_NOT_FOUND'],
  [RdCodes.TOPIC_AUTHORIZATION_FAILED, 'KAFKA_AUTHORIZATION'],
  [RdCodes.GROUP_AUTHORIZATION_FAILED, 'KAFKA_AUTHORIZATION'],
  [RdCodes.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'KAFKA_AUTHORIZATION'],
  [RdCodes.INVALID_ARG, 'KAFKA_INVALID_CONFIG'],
  [RdCodes.INVALID_CONFIG, 'KAFKA_INVALID_CONFIG'],
  [RdCodes.COORDINATOR_NOT_AVAILABLE, 'KAFKA_RETRIABLE'],
  [RdCodes.NOT_COORDINATOR, 'KAFKA_RETRIABLE'],
  [RdCodes.CONCURRENT_TRANSACTIONS, 'KAFKA_RETRIABLE'],
  [RdCodes.UNSTABLE_OFFSET_COMMIT, 'KAFKA_RETRIABLE'],
  [RdCodes.QUEUE_FULL, 'KAFKA_RETRIABLE'],
]);

/** The shape of errors from either client: librdkafka's flags and KafkaJS's names. */
interface ForeignError {
  message?: string;
  code?: number | string;
  errno?: number;
  isFatal?: boolean;
  isRetriable?: boolean;
  isTxnRequiresAbort?: boolean;
  fatal?: boolean;
  retriable?: boolean;
  abortable?: boolean;
  type?: string;
  name?: string;
}

/** Where the error came from, when the code alone does not say what to do. */
export interface ErrorContext {
  /**
   * A record refused inside a begun transaction: the client refuses (`__STATE`) only once the
   * transaction failed (an undeliverable or timed-out record, e.g. after a long pause), so it
   * must be aborted. A fenced or fatal producer says so with its own code.
   */
  readonly producingInTransaction?: boolean;
}

/** Classifies a foreign error; exported for unit tests. */
export function classify(e: unknown, context: ErrorContext = {}): ErrorCode {
  if (e instanceof AmbitError) return e.code;
  const f = (e ?? {}) as ForeignError;
  const code = typeof f.code === 'number' ? f.code : typeof f.errno === 'number' ? f.errno : undefined;
  if (context.producingInTransaction && code === RdCodes.STATE) return 'KAFKA_TXN_ABORTABLE';
  const mapped = code === undefined ? undefined : byCode.get(code);
  // Fencing and stale generations say "rejoin" whatever the flags say.
  if (mapped === 'KAFKA_FENCED' || mapped === 'KAFKA_STALE_GENERATION') return mapped;
  if (f.isFatal === true || f.fatal === true || code === RdCodes.FATAL) return 'KAFKA_FATAL';
  if (f.isTxnRequiresAbort === true || f.abortable === true) return 'KAFKA_TXN_ABORTABLE';
  if (mapped) return mapped;
  // KafkaJS (admin only) names its errors by type.
  switch (f.type) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return 'KAFKA_TOPIC_NOT_FOUND';
    case 'REQUEST_TIMED_OUT':
      return 'KAFKA_TIMEOUT';
  }
  if (f.name === 'KafkaJSConnectionError' || f.name === 'KafkaJSNumberOfRetriesExceeded' || f.name === 'KafkaJSNonRetriableError') {
    if (/connect|ECONNREFUSED|Connection/i.test(String(f.message))) return 'KAFKA_BROKER_UNAVAILABLE';
  }
  if (/ECONNREFUSED|broker.*(down|transport)|Connection error/i.test(String(f.message))) return 'KAFKA_BROKER_UNAVAILABLE';
  if (f.isRetriable === true || f.retriable === true) return 'KAFKA_RETRIABLE';
  return 'KAFKA_UNKNOWN';
}

/** Wraps any client error as an AmbitError whose code says what to do. */
export function translateKafkaError(e: unknown, what: string, context: ErrorContext = {}): AmbitError {
  if (e instanceof AmbitError) return e;
  const code = classify(e, context);
  const f = (e ?? {}) as ForeignError;
  const failedTxn = context.producingInTransaction && code === 'KAFKA_TXN_ABORTABLE';
  const message = `${what}: ${f.message ?? String(e)}${failedTxn ? ' (the transaction failed and can only be aborted)' : ''}`;
  return new AmbitError(code, message, {
    cause: e,
    details: { clientCode: f.code ?? f.errno, fatal: f.isFatal ?? f.fatal, abortable: f.isTxnRequiresAbort ?? f.abortable },
  });
}
