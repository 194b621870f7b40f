/** Where and how to reach Kafka; shared by every client this package creates. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Socket connect timeout. */
  readonly connectTimeoutMs?: number;
  /** Per-request timeout for admin calls. */
  readonly requestTimeoutMs?: number;
  /** Extra librdkafka properties (e.g. security settings); ours win on conflict. */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

/** librdkafka properties common to every client. */
export function commonConfig(conn: KafkaConnection): Record<string, string | number | boolean> {
  return {
    ...(conn.extra ?? {}),
    'bootstrap.servers': conn.brokers.join(','),
    'client.id': conn.clientId ?? 'ambit',
    'socket.connection.setup.timeout.ms': conn.connectTimeoutMs ?? 10000,
    log_level: 3,
  };
}

/** Parses `KAFKA_BROKERS` style lists ("host:port,host:port"). */
export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d+$/.test(b)) throw new Error(`invalid broker address "${b}" (expected host:port)`);
  }
  if (brokers.length === 0) throw new Error('no broker addresses given');
  return brokers;
}
