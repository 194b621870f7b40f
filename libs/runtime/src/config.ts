/**
 * Runtime configuration, parsed once at the edge into a frozen, fully defaulted object
 * (principle 9, docs/principles.md). Cross-field rules say why they fail.
 */
import { AmbitError, silentLogger, type Logger } from '@ambit/core';

export interface RuntimeConfigInput {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** Topic prefix: `<namespace>.<topic>`. */
  readonly namespace: string;
  /**
   * The environment in schemas/topics.yaml (`local`, `production`) whose settings the
   * internal topics get: replication factor, min.insync.replicas, retention. Default `local`.
   */
  readonly environment?: string;
  /** Stable per process slot across restarts, unique among live processes (transactional.id). */
  readonly instanceId: string;
  /** Root of the local stores: `<stateDir>/<agent>/<partition>`. */
  readonly stateDir: string;
  readonly commitIntervalMs?: number;
  /**
   * Commit early once a transaction holds this many completed records (default 10,000): a
   * backstop; the commit interval sets the cadence and `maxBufferedBytes` bounds memory. At
   * 2,000 it forced commits more often than the interval at benchmark rates.
   */
  readonly maxBatchRecords?: number;
  /**
   * Record cache per task, bytes (0, the default: off): a store key's changelog writes in
   * one transaction collapse to its last, produced when the transaction commits (or the
   * cache fills), as Kafka Streams' `statestore.cache.max.bytes` does for a changelog.
   */
  readonly stateCacheMaxBytes?: number;
  /** Commit early once the tasks' state buffers hold this many bytes. */
  readonly maxBufferedBytes?: number;
  readonly transactionTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
  /**
   * Records fetched per poll (default 1,000, Kafka Streams' `max.poll.records`): each poll
   * is a round trip to the client's worker thread, during which the loop waits.
   */
  readonly pollRecords?: number;
  /** Attempts of a failing handler before its record goes to the DLQ. */
  readonly handlerAttempts?: number;
  /**
   * Key-level concurrency: records (and timer firings) a task runs at once, each key strictly
   * in order. 1 = one record at a time in offset order.
   */
  readonly maxInFlight?: number;
  /** Most records between a task's lowest incomplete offset and the newest it starts; its inputs pause past it. */
  readonly maxDistance?: number;
  /** Journal entry cap: a step result (JSON) larger than this fails the step for good. */
  readonly stepEntryMaxBytes?: number;
  /** Per-attempt deadline of a handler (or timer handler); a late handler counts as a failed attempt. */
  readonly handlerTimeoutMs?: number;
  /**
   * Unclean restarts a record may cause before it is dead-lettered without running again
   * (counted outside the transaction, in the task's in-flight ledger).
   */
  readonly maxCrashAttempts?: number;
  /**
   * Forced-restore mode (testing the restore path): after each commit, with this probability,
   * one running task drops its local state and restores it from the changelog. 0 = off.
   */
  readonly forcedRestoreProbability?: number;
  /** Register output and input schemas at start (production registers from a deploy step). */
  readonly registerSchemas?: boolean;
  /** Rebuild a store whose changelog was recreated, instead of stopping with an error. */
  readonly stateReset?: boolean;
  /** Test-only: SIGSTOP the process after sending offsets, before committing. */
  readonly faultPauseBeforeCommit?: boolean;
  /** Test-only hooks; a hook that throws stops the runner as a crash would (nothing after it runs). */
  readonly testHooks?: TestHooks;
  readonly logger?: Logger;
}

export interface TestHooks {
  /** After the Kafka commit, before the local apply of state and checkpoint. */
  readonly afterCommit?: () => void | Promise<void>;
}

export interface RuntimeConfig extends Required<Omit<RuntimeConfigInput, 'logger' | 'testHooks'>> {
  readonly testHooks: TestHooks;
  readonly logger: Logger;
  readonly transactionalIdPrefix: string;
}

const positiveInt = (name: string, v: unknown, problems: string[]): void => {
  if (!Number.isSafeInteger(v) || (v as number) <= 0) problems.push(`${name} must be a positive integer (got ${String(v)})`);
};

export function resolveRuntimeConfig(input: RuntimeConfigInput): RuntimeConfig {
  const c = {
    brokers: [...input.brokers],
    registryUrl: input.registryUrl,
    namespace: input.namespace,
    environment: input.environment ?? 'local',
    instanceId: input.instanceId,
    stateDir: input.stateDir,
    commitIntervalMs: input.commitIntervalMs ?? 100,
    maxBatchRecords: input.maxBatchRecords ?? 10_000,
    stateCacheMaxBytes: input.stateCacheMaxBytes ?? 0,
    maxBufferedBytes: input.maxBufferedBytes ?? 32 * 1024 * 1024,
    transactionTimeoutMs: input.transactionTimeoutMs ?? 10_000,
    sessionTimeoutMs: input.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 1_000,
    maxPollIntervalMs: input.maxPollIntervalMs ?? 60_000,
    pollRecords: input.pollRecords ?? 1_000,
    handlerAttempts: input.handlerAttempts ?? 3,
    handlerTimeoutMs: input.handlerTimeoutMs ?? 15_000,
    maxInFlight: input.maxInFlight ?? 1,
    maxDistance: input.maxDistance ?? 1_000,
    stepEntryMaxBytes: input.stepEntryMaxBytes ?? 256 * 1024,
    maxCrashAttempts: input.maxCrashAttempts ?? 3,
    forcedRestoreProbability: input.forcedRestoreProbability ?? 0,
    registerSchemas: input.registerSchemas ?? false,
    stateReset: input.stateReset ?? false,
    faultPauseBeforeCommit: input.faultPauseBeforeCommit ?? false,
    testHooks: input.testHooks ?? {},
    logger: input.logger ?? silentLogger,
    transactionalIdPrefix: '',
  };
  const problems: string[] = [];
  if (c.brokers.length === 0) problems.push('brokers: at least one broker address is required');
  if (!/^https?:\/\//.test(c.registryUrl ?? '')) problems.push(`registryUrl must be an http(s) URL (got "${c.registryUrl}")`);
  if (!/^[a-zA-Z0-9._-]+$/.test(c.namespace ?? ''))
    problems.push(`namespace "${c.namespace}" may only hold letters, digits, ".", "_" and "-"`);
  if (!/^[a-zA-Z0-9._-]+$/.test(c.instanceId ?? ''))
    problems.push(`instanceId "${c.instanceId}" must be set (letters, digits, ".", "_", "-"): it names the transactional id`);
  if (!c.stateDir) problems.push('stateDir is required');
  for (const k of [
    'commitIntervalMs',
    'maxBatchRecords',
    'maxBufferedBytes',
    'transactionTimeoutMs',
    'sessionTimeoutMs',
    'heartbeatIntervalMs',
    'maxPollIntervalMs',
    'pollRecords',
    'handlerAttempts',
    'handlerTimeoutMs',
    'maxCrashAttempts',
    'maxInFlight',
    'maxDistance',
    'stepEntryMaxBytes',
  ] as const) {
    positiveInt(k, c[k], problems);
  }
  if (!Number.isSafeInteger(c.stateCacheMaxBytes) || c.stateCacheMaxBytes < 0) {
    problems.push(`stateCacheMaxBytes must be a non-negative integer (got ${String(c.stateCacheMaxBytes)})`);
  }
  if (!(c.forcedRestoreProbability >= 0 && c.forcedRestoreProbability <= 1)) {
    problems.push(`forcedRestoreProbability must be between 0 and 1 (got ${String(c.forcedRestoreProbability)})`);
  }
  if (c.handlerTimeoutMs * c.handlerAttempts >= c.maxPollIntervalMs) {
    problems.push(
      `handlerTimeoutMs x handlerAttempts (${c.handlerTimeoutMs * c.handlerAttempts}) must be below maxPollIntervalMs (${c.maxPollIntervalMs}), ` +
        'or a record that keeps timing out gets the member evicted from its group',
    );
  }
  if (c.maxInFlight > c.maxDistance) {
    problems.push(`maxInFlight (${c.maxInFlight}) must not exceed maxDistance (${c.maxDistance}): the distance bound caps what can run`);
  }
  if (c.commitIntervalMs >= c.transactionTimeoutMs) {
    problems.push('commitIntervalMs must be below transactionTimeoutMs, or every transaction times out before it commits');
  }
  if (c.heartbeatIntervalMs >= c.sessionTimeoutMs) {
    problems.push('heartbeatIntervalMs must be below sessionTimeoutMs, or the member is evicted between heartbeats');
  }
  if (problems.length > 0) throw new AmbitError('CONFIG_INVALID', `invalid runtime configuration: ${problems.join('; ')}`);
  return Object.freeze(c);
}
