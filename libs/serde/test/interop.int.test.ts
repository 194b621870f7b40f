/**
 * Ambit records as third-party clients see them: a Python integrator on Debian's
 * confluent-kafka 1.7 (plain Consumer + legacy Avro MessageSerializer), kcat reading raw
 * records, and kcat producing with the Java-compatible partitioner. Needs `kcat` and
 * Debian's python3-confluent-kafka, python3-avro and python3-requests (the legacy Avro
 * module imports requests); AMBIT_INTEROP_PYTHON overrides the interpreter.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createProducer, createTransactionalProducer, partitionFor, type KafkaConnection } from '@ambit/kafka';
import { testPlatform, uniqueName } from '@ambit/testing';
import { avroSerde, createSchemaRegistryClient, keySerde, valueSubject } from '../src/index.ts';

const PYTHON = process.env.AMBIT_INTEROP_PYTHON ?? '/usr/bin/python3';
const READER = fileURLToPath(new URL('./fixtures/read_avro_topic.py', import.meta.url));
const PARTITIONS = 6;

const schema = {
  type: 'record',
  name: 'InteropEvent',
  namespace: 'ambit.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
interface InteropEvent {
  id: string;
  amountMinor: number;
  tags: string[];
  note: string | null;
}

const keys = ['tenant-1', 'tenant-2', 'tenant-3', 'acme:order-42', 'ключ-7', 'emoji-🧪', 'a', 'zz-last'];
const valueFor = (key: string, i: number): InteropEvent => ({
  id: `evt-${i}`,
  amountMinor: 2 ** 40 + i,
  tags: [key, 'interop'],
  note: i % 2 ? null : `note ${i}`,
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code (rejects only if it could not run or timed out). */
function run(cmd: string, args: string[], input?: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code === 'number') resolve({ code, stdout, stderr });
      else reject(new Error(`${cmd} did not complete: ${err?.message}\n${stderr}`));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe('interop with non-Ambit Kafka clients', () => {
  let conn: KafkaConnection;
  let bootstrap: string;
  const created: string[] = [];

  beforeAll(() => {
    conn = { brokers: testPlatform().brokers };
    bootstrap = testPlatform().brokers.join(',');
  });
  afterAll(async () => {
    if (created.length === 0) return;
    const admin = await createAdmin(conn);
    await admin.deleteTopics(created).finally(() => admin.close());
  });

  async function freshTopic(prefix: string): Promise<string> {
    const name = uniqueName(prefix);
    const admin = await createAdmin(conn);
    try {
      await admin.createTopics([{ name, partitions: PARTITIONS, replicationFactor: 1, configs: {} }]);
    } finally {
      await admin.close();
    }
    created.push(name);
    return name;
  }

  it('Python (confluent-kafka + avro) and kcat read keyed Ambit records', async () => {
    const topic = await freshTopic('interop-avro');
    const registry = createSchemaRegistryClient({ url: testPlatform().registryUrl });
    const serde = avroSerde<InteropEvent>({ registry, subject: valueSubject(topic), schema, autoRegister: true });

    const records = await Promise.all(keys.map(async (key, i) => ({ topic, key, value: await serde.serialize(valueFor(key, i)) })));
    const producer = await createProducer(conn);
    const reports = await producer.send(records).finally(() => producer.close());
    // Ambit's own producer puts each key where partitionFor says.
    reports.forEach((r, i) => expect(r.partition, keys[i]).toBe(partitionFor(keys[i]!, PARTITIONS)));
    const schemaId = records[0]!.value.readInt32BE(1);

    // (a) Python: plain Consumer, UTF-8 keys, values via CachedSchemaRegistryClient + MessageSerializer.
    const seen = await readWithPython(bootstrap, topic, keys.length);
    expect(seen.map((r) => r.key).sort()).toEqual([...keys].sort());
    for (const r of seen) {
      const i = keys.indexOf(r.key);
      expect(r.value).toEqual(valueFor(r.key, i));
      expect(r.schema_id).toBe(schemaId);
      expect(r.partition).toBe(partitionFor(r.key, PARTITIONS));
    }

    // (b) kcat: raw records, read_committed, exits at the end of every partition.
    const lines = await readWithKcat(bootstrap, topic);
    expect(lines).toHaveLength(keys.length);
    expect(lines.map(([, k]) => k).sort()).toEqual([...keys].sort());
    for (const [p, k] of lines) expect(Number(p)).toBe(partitionFor(k, PARTITIONS));
  });

  it('read_committed readers skip an aborted Ambit transaction', async () => {
    const topic = await freshTopic('interop-txn');
    const registry = createSchemaRegistryClient({ url: testPlatform().registryUrl });
    const serde = avroSerde<InteropEvent>({ registry, subject: valueSubject(topic), schema, autoRegister: true });

    const aborted = await serde.serialize(valueFor('aborted-key', 99));
    const txn = await createTransactionalProducer(conn, { transactionalId: uniqueName('interop-txn') });
    try {
      await txn.init();
      await txn.begin(); // the client begins a transaction asynchronously: produce only after it has
      await txn.produce({ topic, key: 'aborted-key', value: aborted });
      await txn.abort();
    } finally {
      await txn.close();
    }
    const producer = await createProducer(conn);
    await producer
      .send([{ topic, key: 'committed-key', value: await serde.serialize(valueFor('committed-key', 1)) }])
      .finally(() => producer.close());

    expect((await readWithPython(bootstrap, topic, 1)).map((r) => r.key)).toEqual(['committed-key']);
    expect((await readWithKcat(bootstrap, topic)).map(([, k]) => k)).toEqual(['committed-key']);
  });

  it('kcat with -X partitioner=murmur2_random puts keys where partitionFor says', async () => {
    const keyed = Array.from({ length: 24 }, (_, i) => `key-${i}-${i * 7919}`);
    const input = keyed.map((k) => `${k}\tv`).join('\n') + '\n';

    const javaCompatible = await freshTopic('interop-murmur');
    const produced = await run(
      'kcat',
      ['-P', '-b', bootstrap, '-t', javaCompatible, '-K', '\t', '-X', 'partitioner=murmur2_random'],
      input,
    );
    expect(produced.code, produced.stderr).toBe(0);
    const placed = await partitionsByKey(bootstrap, javaCompatible, keyed.length);
    for (const k of keyed) expect(placed.get(k), k).toBe(partitionFor(k, PARTITIONS));

    // Control: librdkafka's default partitioner (CRC32) does not agree, which is why every
    // Ambit producer, and the README for integrators, sets murmur2_random explicitly.
    const crc = await freshTopic('interop-crc32');
    expect((await run('kcat', ['-P', '-b', bootstrap, '-t', crc, '-K', '\t'], input)).code).toBe(0);
    const crcPlaced = await partitionsByKey(bootstrap, crc, keyed.length);
    expect(keyed.filter((k) => crcPlaced.get(k) !== partitionFor(k, PARTITIONS)).length).toBeGreaterThan(0);

    // Keys survive as plain UTF-8 either way.
    for (const k of keyed) expect(await keySerde.deserialize(Buffer.from(k, 'utf8'))).toBe(k);
  });
});

interface PythonRecord {
  partition: number;
  key: string;
  schema_id: number;
  value: unknown;
}

async function readWithPython(bootstrap: string, topic: string, expected: number): Promise<PythonRecord[]> {
  const py = await run(PYTHON, [READER, bootstrap, topic, testPlatform().registryUrl, String(expected), '45'], undefined, 90_000);
  expect(py.code, py.stderr).toBe(0);
  return (JSON.parse(py.stdout) as { records: PythonRecord[] }).records;
}

/** [partition, key] per record, read_committed. */
async function readWithKcat(bootstrap: string, topic: string): Promise<Array<[string, string]>> {
  const args = [
    '-C',
    '-b',
    bootstrap,
    '-t',
    topic,
    '-X',
    'isolation.level=read_committed',
    '-o',
    'beginning',
    '-e',
    '-q',
    '-f',
    '%p\t%k\n',
  ];
  const out = await run('kcat', args);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t') as [string, string]);
}

async function partitionsByKey(bootstrap: string, topic: string, expected: number): Promise<Map<string, number>> {
  const byKey = new Map((await readWithKcat(bootstrap, topic)).map(([p, k]) => [k, Number(p)] as const));
  expect(byKey.size).toBe(expected);
  return byKey;
}
