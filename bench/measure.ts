/**
 * What the comparison measures on the outside of every system, the same way for all:
 * a read_committed consumer that stamps each output with the moment it is received (so a
 * system's commit wait counts), and the checks that every input produced exactly one output
 * and that the final per-key state matches the expected fold.
 */
import { createAdmin, createConsumer, type KafkaConnection } from '@ambit/kafka';
import { stateChecksum, type FoldState } from './workload.ts';

export interface ReceivedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly receivedAt: number;
}

export interface OutputCollector {
  readonly records: ReceivedRecord[];
  /** Resolves when `expected` records have arrived, the deadline passed or stop() was called. */
  readonly done: Promise<void>;
  stop(): void;
  /** Receipt time of the latest record (0 before the first). */
  lastReceivedAt(): number;
}

/**
 * Reads `topic` under read_committed from its current end offsets (outputs of earlier runs
 * in a shared topic are skipped), keeping raw records: decoding waits until the run is over,
 * so it cannot delay the receipt stamps.
 */
export async function collectOutputs(conn: KafkaConnection, topic: string, expected: number, deadlineMs: number): Promise<OutputCollector> {
  const admin = await createAdmin(conn);
  const ends = await admin.endOffsets(topic, 'read_committed');
  await admin.close();
  const consumer = await createConsumer(conn, { isolation: 'read_committed', queuedMaxKbytes: 65_536 });
  consumer.assign(ends.map((e) => ({ topic, partition: e.partition, offset: e.high })));
  const records: ReceivedRecord[] = [];
  let stopped = false;
  const deadline = Date.now() + deadlineMs;
  const done = (async () => {
    try {
      while (!stopped && records.length < expected && Date.now() < deadline) {
        const batch = await consumer.consume(10_000, 20);
        const receivedAt = Date.now();
        for (const r of batch)
          records.push({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers, receivedAt });
      }
    } finally {
      await consumer.close();
    }
  })();
  // Stamped in arrival order: the last record is the latest.
  return { records, done, stop: () => void (stopped = true), lastReceivedAt: () => records.at(-1)?.receivedAt ?? 0 };
}

/** What a system's output says: the input it answers (`seq`) and, for the folds, the key's new state. */
export interface DecodedOutput {
  readonly key: string;
  readonly seq: number;
  readonly state?: FoldState;
  readonly receivedAt: number;
}

export interface OutputCheck {
  readonly outputs: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly unexpected: number;
  /** Checksum of each key's last state, for the stateful systems. */
  readonly checksum?: string;
  readonly ok: boolean;
  readonly problems: string[];
}

/**
 * Every seq in [0, inputs) exactly once (warm-up outputs, negative seqs, are ignored), and,
 * when `expectedChecksum` is given, the per-key final states hash to it.
 */
export function checkOutputs(outputs: readonly DecodedOutput[], inputs: number, expectedChecksum?: string): OutputCheck {
  const seen = new Uint8Array(inputs);
  let duplicates = 0;
  let unexpected = 0;
  const last = new Map<string, FoldState>();
  for (const o of outputs) {
    if (o.seq < 0) continue;
    if (o.seq >= inputs || !Number.isInteger(o.seq)) {
      unexpected++;
      continue;
    }
    if (seen[o.seq]! > 0) duplicates++;
    seen[o.seq] = 1;
    if (o.state) {
      const prev = last.get(o.key);
      if (!prev || o.state.count > prev.count) last.set(o.key, o.state);
    }
  }
  let missing = 0;
  for (let i = 0; i < inputs; i++) if (seen[i] === 0) missing++;
  const problems: string[] = [];
  if (missing > 0) problems.push(`${missing} inputs without output`);
  if (duplicates > 0) problems.push(`${duplicates} inputs with more than one output`);
  if (unexpected > 0) problems.push(`${unexpected} outputs for no input`);
  const checksum = expectedChecksum === undefined ? undefined : stateChecksum(last);
  if (checksum !== undefined && checksum !== expectedChecksum) problems.push(`state checksum ${checksum} != expected ${expectedChecksum}`);
  return {
    outputs: outputs.filter((o) => o.seq >= 0).length,
    missing,
    duplicates,
    unexpected,
    ...(checksum === undefined ? {} : { checksum }),
    ok: problems.length === 0,
    problems,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
