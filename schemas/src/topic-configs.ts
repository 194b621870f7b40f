/**
 * The topic configs `schemas/topics.yaml` may set, each with the values the broker accepts.
 * Checked when the file is loaded, so a typo (`retention.m`, `7d`) fails there, naming the
 * topic and environment, instead of at topic creation on one cluster. A config not listed
 * here is refused: add it, with its rule, when a topic needs it.
 */

/** Says why `value` is not acceptable, or null when it is. */
type Rule = (value: string) => string | null;

const integer =
  (min: number): Rule =>
  (v) =>
    /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) && Number(v) >= min ? null : `expected an integer >= ${min}`;

const oneOf =
  (...allowed: string[]): Rule =>
  (v) =>
    allowed.includes(v) ? null : `expected one of ${allowed.join(', ')}`;

const ratio: Rule = (v) => (/^(0(\.\d+)?|1(\.0+)?)$/.test(v) ? null : 'expected a decimal between 0 and 1');

/** Broker-side constraints (Kafka 4.1 `TopicConfig` / `LogConfig`). */
const RULES: Readonly<Record<string, Rule>> = {
  'cleanup.policy': oneOf('delete', 'compact', 'compact,delete'),
  // -1 = no limit.
  'retention.ms': integer(-1),
  'retention.bytes': integer(-1),
  'delete.retention.ms': integer(0),
  'segment.ms': integer(1),
  'segment.bytes': integer(1_048_576),
  'min.compaction.lag.ms': integer(0),
  'max.compaction.lag.ms': integer(1),
  'min.cleanable.dirty.ratio': ratio,
  'min.insync.replicas': integer(1),
  'unclean.leader.election.enable': oneOf('true', 'false'),
  'max.message.bytes': integer(0),
  'compression.type': oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
  'message.timestamp.type': oneOf('CreateTime', 'LogAppendTime'),
};

/** Config names topics.yaml may set. */
export const KNOWN_TOPIC_CONFIGS: readonly string[] = Object.freeze(Object.keys(RULES));

/** Why `name = value` would be refused by the broker (or is not listed here), or null when it is fine. */
export function checkTopicConfig(name: string, value: string): string | null {
  const rule = RULES[name];
  if (!rule) return `not a topic config this file may set (known: ${KNOWN_TOPIC_CONFIGS.join(', ')})`;
  const why = rule(value);
  return why === null ? null : `${JSON.stringify(value)}: ${why}`;
}
