/** Small helpers for this package's integration tests. */
import { createAdmin, createConsumer, createProducer, type ConsumedRecord, type KafkaConnection } from '../src/index.ts';

export async function createTopic(conn: KafkaConnection, name: string, partitions = 1): Promise<void> {
  const admin = await createAdmin(conn);
  try {
    await admin.createTopics([{ name, partitions, replicationFactor: 1, configs: {} }]);
  } finally {
    await admin.close();
  }
}

export async function produceValues(conn: KafkaConnection, topic: string, values: string[]): Promise<void> {
  const p = await createProducer(conn);
  try {
    await p.send(values.map((v, i) => ({ topic, key: `k${i}`, value: Buffer.from(v) })));
  } finally {
    await p.close();
  }
}

/** Reads a whole topic from the beginning with a manually assigned consumer until `expected` records or the deadline. */
export async function readAll(
  conn: KafkaConnection,
  topic: string,
  opts: { partitions?: number; isolation?: 'read_committed' | 'read_uncommitted'; expected?: number; idleMs?: number } = {},
): Promise<ConsumedRecord[]> {
  const c = await createConsumer(conn, { isolation: opts.isolation ?? 'read_committed' });
  const out: ConsumedRecord[] = [];
  try {
    c.assign(Array.from({ length: opts.partitions ?? 1 }, (_, partition) => ({ topic, partition, offset: -2 })));
    const idleMs = opts.idleMs ?? 3000;
    let idleSince = Date.now();
    while (Date.now() - idleSince < idleMs) {
      const batch = await c.consume(500, 200);
      if (batch.length > 0) {
        out.push(...batch);
        idleSince = Date.now();
        if (opts.expected !== undefined && out.length > opts.expected) break;
      }
    }
  } finally {
    await c.close();
  }
  return out;
}
