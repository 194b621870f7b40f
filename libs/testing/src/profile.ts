/**
 * Short timeouts for clients in tests, paired with the launcher's `test` broker profile
 * (which lowers group.min.session.timeout.ms and the transaction-abort sweep interval).
 * Values stay valid against a default broker too (session >= 6 s) so suites also run
 * against an external KAFKA_BROKERS.
 */
export const testClientProfile = Object.freeze({
  /** Group membership: a paused or killed member is noticed after this. */
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  maxPollIntervalMs: 10_000,
  /** EOS: a dead owner's open transaction is aborted by the broker after this. */
  transactionTimeoutMs: 10_000,
  /** Admin and connect calls fail fast instead of waiting a minute. */
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 3_000,
});
