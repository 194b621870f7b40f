/**
 * Checks for exactly-once tests: read a topic to its read_committed end, count outputs per
 * cause (`ambit-source`), compact a changelog, and produce inputs at a steady rate while
 * recording where each landed.
 */
import { createAdmin, createConsumer, createProducer, type ConsumedRecord, type IsolationLevel } from '@ambit/kafka';

/** The header every output carries: `<input topic without namespace>/<partition>/<offset>`. */
export const SOURCE_HEADER = 'ambit-source';

/** The `ambit-source` value of an input record. */
export const sourceOf = (topic: string, partition: number, offset: number): string => `${topic}/${partition}/${offset}`;

export interface ReadTopicOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Partition count; default: every partition the topic has. */
  readonly partitions?: number;
  readonly isolation?: IsolationLevel;
  /** Give up (throw, naming the partitions short of their end) after this long; default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Every record of `topic` from the log start up to the end offsets taken when the call
 * starts (the last stable offsets under read_committed, so records of transactions open at
 * that moment are not waited for). Sorted by partition, then offset.
 */
export async function readTopicFully(options: ReadTopicOptions): Promise<ConsumedRecord[]> {
  const { topic } = options;
  const isolation = options.isolation ?? 'read_committed';
  const conn = { brokers: options.brokers, clientId: 'ambit-verify' };
  const admin = await createAdmin(conn);
  let ends: Array<{ partition: number; low: number; high: number }>;
  try {
    ends = await admin.endOffsets(topic, isolation);
  } finally {
    await admin.close();
  }
  if (options.partitions !== undefined) {
    if (ends.length < options.partitions) throw new Error(`${topic} has ${ends.length} partitions, expected ${options.partitions}`);
    ends = ends.filter((e) => e.partition < options.partitions!);
  }
  const pending = new Map(ends.filter((e) => e.high > e.low).map((e) => [e.partition, e]));
  const out: ConsumedRecord[] = [];
  if (pending.size === 0) return out;

  const consumer = await createConsumer(conn, { isolation });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    consumer.assign([...pending.values()].map((e) => ({ topic, partition: e.partition, offset: e.low })));
    const tps = [...pending.keys()].map((partition) => ({ topic, partition }));
    while (pending.size > 0) {
      if (Date.now() > deadline) {
        const short = [...pending.values()].map((e) => `${e.partition}: end ${e.high}`).join(', ');
        throw new Error(`readTopicFully(${topic}): timed out short of the end offsets of partitions ${short}`);
      }
      const batch = await consumer.consume(1000, 200);
      for (const r of batch) {
        const end = pending.get(r.partition);
        if (end !== undefined && r.offset < end.high) out.push(r);
        if (end !== undefined && r.offset + 1 >= end.high) pending.delete(r.partition);
      }
      // Transaction markers and aborted records are never delivered: the consumer's position
      // steps over them, so it (not the last record seen) says when a partition is done.
      const positions = consumer.position(tps);
      for (const [partition, end] of pending) {
        const pos = positions.get(`${topic}\u0000${partition}`);
        if (pos !== undefined && pos >= end.high) pending.delete(partition);
      }
    }
  } finally {
    await consumer.close();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/**
 * Resolves once no transaction is pending on any partition of `topic`: its read_committed end
 * has caught up with the log end. A producer's commit returns before the coordinator has
 * written the commit markers, so a read right after a writer's last commit (a crash hook, a
 * process that just exited) can still end before that transaction. Only meaningful once every
 * transactional writer of the topic is done: a live one keeps opening transactions.
 */
export async function waitForSettledTransactions(options: {
  brokers: readonly string[];
  topic: string;
  timeoutMs?: number;
}): Promise<void> {
  const admin = await createAdmin({ brokers: options.brokers, clientId: 'ambit-verify' });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    for (;;) {
      const stable = await admin.endOffsets(options.topic, 'read_committed');
      const log = new Map((await admin.endOffsets(options.topic, 'read_uncommitted')).map((e) => [e.partition, e.high]));
      const pending = stable.filter((e) => e.high < (log.get(e.partition) ?? 0));
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        const detail = pending.map((e) => `${e.partition}: stable ${e.high}, end ${log.get(e.partition)}`).join(', ');
        throw new Error(`waitForSettledTransactions(${options.topic}): still pending on partitions ${detail}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.close();
  }
}

export interface ExactlyOnceReport {
  /** Expected sources with no output. */
  readonly missing: string[];
  /** Sources with more than one output (each listed once). */
  readonly duplicates: string[];
  /** Outputs whose source was not expected, or that have no `ambit-source` header (`<none>@topic/partition/offset`). */
  readonly unexpected: string[];
}

/** Anything with headers; ConsumedRecord fits. */
export interface WithHeaders {
  readonly headers: Readonly<Record<string, Buffer | string>>;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
}

/** Compares one topic's outputs with the inputs that should each have caused exactly one. Sorted lists. */
export function checkExactlyOnce(outputs: Iterable<WithHeaders>, expectedSources: ReadonlySet<string>): ExactlyOnceReport {
  const counts = new Map<string, number>();
  const unexpected: string[] = [];
  for (const r of outputs) {
    const h = r.headers[SOURCE_HEADER];
    if (h === undefined) {
      unexpected.push(`<none>@${r.topic ?? '?'}/${r.partition ?? '?'}/${r.offset ?? '?'}`);
      continue;
    }
    const source = typeof h === 'string' ? h : h.toString('utf8');
    counts.set(source, (counts.get(source) ?? 0) + 1);
  }
  const missing: string[] = [];
  for (const s of expectedSources) if (!counts.has(s)) missing.push(s);
  const duplicates: string[] = [];
  for (const [s, n] of counts) {
    if (!expectedSources.has(s)) unexpected.push(s);
    else if (n > 1) duplicates.push(s);
  }
  return { missing: missing.sort(), duplicates: duplicates.sort(), unexpected: unexpected.sort() };
}

/**
 * Per key, the sources of its outputs in the order a reader sees them (give outputs in
 * offset order per partition; one key's outputs share a partition) against its inputs'
 * sources in input order. Returns up to `limit` keys whose sequences differ (a gap, a
 * repeat or a swap), each as `key: got [...] want [...]`.
 */
export function keyOrderDiff(
  outputs: Iterable<WithHeaders & { readonly key: string | null }>,
  inputs: ReadonlyArray<{ readonly key: string; readonly source: string }>,
  limit = 10,
): string[] {
  const want = new Map<string, string[]>();
  for (const i of inputs) want.set(i.key, [...(want.get(i.key) ?? []), i.source]);
  const got = new Map<string, string[]>();
  for (const o of outputs) {
    const h = o.headers[SOURCE_HEADER];
    if (o.key === null || h === undefined) continue;
    got.set(o.key, [...(got.get(o.key) ?? []), typeof h === 'string' ? h : h.toString('utf8')]);
  }
  const diffs: string[] = [];
  for (const key of new Set([...want.keys(), ...got.keys()])) {
    const w = want.get(key) ?? [];
    const g = got.get(key) ?? [];
    if (w.length !== g.length || w.some((s, i) => s !== g[i])) diffs.push(`${key}: got [${g.join(', ')}] want [${w.join(', ')}]`);
    if (diffs.length >= limit) break;
  }
  return diffs;
}

/** A keyed record; ConsumedRecord fits. */
export interface Keyed<V> {
  readonly key: string | null;
  readonly value: V | null;
}

/**
 * The compacted view of a changelog: the last value per key, tombstones (null values)
 * removing it. Give records in offset order per partition (as readTopicFully returns them);
 * records without a key are ignored.
 */
export function latestByKey<V>(records: Iterable<Keyed<V>>): Map<string, V> {
  const out = new Map<string, V>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) out.delete(r.key);
    else out.set(r.key, r.value);
  }
  return out;
}

export interface ProduceSteadilyOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** Record i gets `keys[i % keys.length]` unless `keyFor` is given. */
  readonly keys: readonly string[];
  readonly keyFor?: (i: number) => string;
  readonly makeValue: (i: number, key: string) => Buffer | Promise<Buffer>;
  readonly headers?: (i: number, key: string) => Readonly<Record<string, string>>;
  /** Stops early (what was produced so far is returned). */
  readonly signal?: AbortSignal;
  /** How often a batch is sent (default 50 ms). */
  readonly tickMs?: number;
}

export interface ProducedRecord {
  /** Sequence number, 0-based, in production order. */
  readonly i: number;
  readonly key: string;
  readonly value: Buffer;
  readonly partition: number;
  readonly offset: number;
}

export interface ProduceSteadilyResult {
  readonly records: ProducedRecord[];
  readonly elapsedMs: number;
  readonly ratePerSec: number;
}

/**
 * Produces `ratePerSec * durationMs / 1000` records at a steady pace (batches every tick,
 * catching up when a batch was slow), idempotently with the Java-compatible partitioner
 * (@ambit/kafka), and returns each record with the partition and offset its delivery
 * report gave. One key's records keep their order: batches are sent one after another.
 */
export async function produceSteadily(options: ProduceSteadilyOptions): Promise<ProduceSteadilyResult> {
  if (!(options.ratePerSec > 0) || !(options.durationMs >= 0)) throw new RangeError('ratePerSec must be > 0 and durationMs >= 0');
  if (options.keys.length === 0 && !options.keyFor) throw new RangeError('keys must not be empty');
  const total = Math.round((options.ratePerSec * options.durationMs) / 1000);
  const tickMs = options.tickMs ?? 50;
  const keyFor = options.keyFor ?? ((i: number) => options.keys[i % options.keys.length]!);
  const producer = await createProducer({ brokers: options.brokers, clientId: 'ambit-steady-producer' }, { lingerMs: 5 });
  const records: ProducedRecord[] = [];
  const started = Date.now();
  try {
    let next = 0;
    while (next < total && !options.signal?.aborted) {
      const due = Math.min(total, Math.floor(((Date.now() - started) * options.ratePerSec) / 1000) + 1);
      if (due > next) {
        const batch: Array<{ i: number; key: string; value: Buffer; headers?: Record<string, string> }> = [];
        for (; next < due; next++) {
          const key = keyFor(next);
          batch.push({
            i: next,
            key,
            value: await options.makeValue(next, key),
            ...(options.headers ? { headers: { ...options.headers(next, key) } } : {}),
          });
        }
        const reports = await producer.send(
          batch.map((b) => ({ topic: options.topic, key: b.key, value: b.value, ...(b.headers ? { headers: b.headers } : {}) })),
        );
        batch.forEach((b, j) =>
          records.push({ i: b.i, key: b.key, value: b.value, partition: reports[j]!.partition, offset: reports[j]!.offset }),
        );
      }
      const nextDueAt = started + ((next + 1) * 1000) / options.ratePerSec;
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(tickMs, nextDueAt - Date.now()))));
    }
  } finally {
    await producer.close();
  }
  const elapsedMs = Date.now() - started;
  return { records, elapsedMs, ratePerSec: elapsedMs > 0 ? (records.length * 1000) / elapsedMs : records.length };
}
