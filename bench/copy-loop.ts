/**
 * The EOS copy ceiling on our Node client: consume -> produce the same key and bytes ->
 * every commit interval send the consumed offsets into the transaction and commit. No serde,
 * no state, no scheduler: what @ambit/kafka can do at best with exactly-once, the floor
 * under anything the runtime adds. Run as its own process by bench/compare.ts:
 *   node --import tsx bench/copy-loop.ts --brokers h:p --group G --input T --output T
 *     [--commit-interval-ms 100] [--linger-ms 5] [--batch-size 1000000] [--compression lz4]
 * Prints `{"event":"first","at":<ms>}` on the first record, `{"event":"closed"}` after SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createConsumer, createTransactionalProducer, parseBrokers, partitionKey, type OffsetToCommit } from '@ambit/kafka';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    group: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'commit-interval-ms': { type: 'string', default: '100' },
    'linger-ms': { type: 'string', default: '5' },
    'batch-size': { type: 'string', default: '1000000' },
    compression: { type: 'string', default: 'lz4' },
  },
  strict: true,
});
for (const required of ['brokers', 'group', 'input', 'output'] as const) {
  if (!values[required]) {
    process.stderr.write(`copy-loop: --${required} is required\n`);
    process.exit(2);
  }
}
const line = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
const conn = { brokers: parseBrokers(values.brokers!), clientId: 'bench-copy-loop' };
const interval = Number(values['commit-interval-ms']);
const output = values.output!;

const producer = await createTransactionalProducer(conn, {
  transactionalId: `${values.group}.copy`,
  lingerMs: Number(values['linger-ms']),
  batchSize: Number(values['batch-size']),
  compression: values.compression as 'lz4',
});
await producer.init();

let open = false;
let openedAt = 0;
const pending = new Map<string, OffsetToCommit>();

async function commit(): Promise<void> {
  if (!open) return;
  await producer.sendOffsets([...pending.values()], consumer);
  await producer.commit();
  pending.clear();
  open = false;
}

const consumer = await createConsumer(conn, {
  groupId: values.group!,
  isolation: 'read_committed',
  autoOffsetReset: 'earliest',
  // One member: a revocation only happens at shutdown; commit what was copied before release.
  onRevoke: () => commit(),
});
consumer.subscribe([values.input!]);

let stopping = false;
process.on('SIGTERM', () => (stopping = true));
let first = false;
while (!stopping) {
  const records = await consumer.consume(2_000, 50);
  if (records.length > 0) {
    if (!first) {
      first = true;
      line({ event: 'first', at: Date.now() });
    }
    if (!open) {
      await producer.begin();
      open = true;
      openedAt = Date.now();
    }
    for (const r of records) {
      await producer.produce({ topic: output, key: r.key, value: r.value, headers: r.headers });
      pending.set(partitionKey(r), { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    }
  }
  if (open && Date.now() - openedAt >= interval) await commit();
}
await commit();
await consumer.close();
await producer.close();
line({ event: 'closed', at: Date.now() });
process.exit(0);
