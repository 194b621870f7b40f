/**
 * Stable error codes. An error's code says what the caller must do next, never what went
 * wrong inside a dependency (principle 4, docs/principles.md). Every lib declares its
 * codes here so they stay greppable in one place; tests assert on `code`, not on messages.
 */

/** What a caller does with an error. */
export type ErrorAction =
  /** Try the same operation again later (broker or registry unavailable, timeouts). */
  | 'retry'
  /** Abort the open transaction, rewind every partition to its committed offset, go on. */
  | 'abort'
  /** The member's generation is stale or it was fenced by a newer instance: rejoin the group. */
  | 'rejoin'
  /** The client is unusable (fatal producer error): close it and create a new one. */
  | 'recreate'
  /** Local state is unusable: wipe and restore it from the changelog. */
  | 'restore'
  /** Nothing will make this succeed: fix the input, configuration or environment. */
  | 'fail';

export const ErrorCodes = {
  // libs/kafka
  KAFKA_RETRIABLE: { action: 'retry', summary: 'Kafka operation failed transiently' },
  KAFKA_TIMEOUT: { action: 'retry', summary: 'Kafka operation timed out' },
  KAFKA_BROKER_UNAVAILABLE: { action: 'retry', summary: 'no Kafka broker reachable' },
  KAFKA_TXN_ABORTABLE: { action: 'abort', summary: 'transaction must be aborted and its input rewound' },
  KAFKA_REBALANCE_IN_PROGRESS: { action: 'abort', summary: 'group is rebalancing: abort, rewind, then continue' },
  KAFKA_STALE_GENERATION: { action: 'rejoin', summary: 'consumer generation is stale: rejoin the group' },
  KAFKA_FENCED: { action: 'rejoin', summary: 'producer fenced by a newer instance with the same transactional id' },
  KAFKA_FATAL: { action: 'recreate', summary: 'client is in a fatal state: recreate it' },
  KAFKA_TOPIC_NOT_FOUND: { action: 'fail', summary: 'topic does not exist' },
  KAFKA_TOPIC_DRIFT: { action: 'fail', summary: 'topic differs from its declaration' },
  KAFKA_INVALID_CONFIG: { action: 'fail', summary: 'invalid client or topic configuration' },
  KAFKA_AUTHORIZATION: { action: 'fail', summary: 'not authorized' },
  KAFKA_UNKNOWN: { action: 'fail', summary: 'unclassified Kafka error' },
  // libs/serde
  SERDE_REGISTRY_UNAVAILABLE: { action: 'retry', summary: 'schema registry unreachable or failing' },
  SERDE_BAD_BYTES: { action: 'fail', summary: 'bytes are not a valid Confluent-framed Avro record' },
  SERDE_UNKNOWN_SCHEMA: { action: 'fail', summary: 'schema id is not known to the registry' },
  SERDE_INCOMPATIBLE_SCHEMA: { action: 'fail', summary: 'schema violates the subject compatibility rule' },
  SERDE_INVALID_VALUE: { action: 'fail', summary: 'value does not match its schema' },
  // libs/state
  STATE_CORRUPTED: { action: 'restore', summary: 'local state store is unreadable: wipe it and restore from the changelog' },
  STATE_LOCKED: { action: 'retry', summary: 'state directory is held by another open handle' },
  STATE_IO: { action: 'fail', summary: 'state store I/O failed (disk full, permissions)' },
  STATE_CLOSED: { action: 'fail', summary: 'state store is closed' },
  STATE_ILLEGAL_STATE: { action: 'fail', summary: 'state operation not allowed in the current state (a caller bug)' },
  STATE_INVALID_ARGUMENT: { action: 'fail', summary: 'invalid store name, key, range or checkpoint offset' },
  STATE_CHANGELOG_RECREATED: { action: 'fail', summary: 'changelog topic id differs from the checkpoint: reset the state explicitly' },
  // libs/runtime
  RUNTIME_HANDLER_TIMEOUT: { action: 'fail', summary: 'a handler did not finish within the per-record timeout' },
  RUNTIME_NON_DETERMINISM: { action: 'fail', summary: 'a step name differs from the journaled one at the same position' },
  RUNTIME_STEP_TOO_LARGE: { action: 'fail', summary: 'a step result is over the journal entry size cap' },
  RUNTIME_STEP_NOT_SERIALIZABLE: { action: 'fail', summary: 'a step result cannot be serialized as JSON' },
  RUNTIME_POISON_RECORD: { action: 'fail', summary: 'a record crashed the process repeatedly: dead-lettered without running it again' },
  RUNTIME_STALLED: {
    action: 'abort',
    summary: 'the process stalled past the session timeout: no new step call until the group says what it still owns',
  },
  // infra
  INFRA_JAVA_MISSING: { action: 'fail', summary: 'no suitable Java runtime found' },
  INFRA_MAVEN_FAILED: { action: 'fail', summary: 'Maven could not resolve the required artifacts' },
  INFRA_PORT_IN_USE: { action: 'fail', summary: 'a port the platform needs is already in use' },
  INFRA_CLUSTER_MISMATCH: { action: 'fail', summary: 'a broker of another cluster answers on the configured port' },
  INFRA_START_TIMEOUT: { action: 'fail', summary: 'a component did not become ready in time' },
  INFRA_PROCESS_EXITED: { action: 'fail', summary: 'a component process exited during start-up' },
  // config
  CONFIG_INVALID: { action: 'fail', summary: 'invalid configuration' },
} as const satisfies Record<string, { action: ErrorAction; summary: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

/** The one error type Ambit code throws across package boundaries. */
export class AmbitError extends Error {
  readonly code: ErrorCode;
  readonly action: ErrorAction;
  /** Extra facts for logs and tests (never raw payloads). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AmbitError';
    this.code = code;
    this.action = ErrorCodes[code].action;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isAmbitError(e: unknown, code?: ErrorCode): e is AmbitError {
  return e instanceof AmbitError && (code === undefined || e.code === code);
}
