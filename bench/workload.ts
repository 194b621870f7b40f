/**
 * The comparison workload, shared by every system and by the checks: keyed events of a
 * fixed size, the per-key fold all stateful systems compute, and the checksum of the final
 * per-key state. The Kafka Streams peer (bench/peers) implements the same fold in Java; the
 * checksums must agree or a run is reported as failed.
 *
 * Wire format of an input value: Confluent framing (magic 0, 4-byte schema id) + Avro
 * binary of `BenchEvent { seq: long, payload: string }`.
 */
import { createHash } from 'node:crypto';
import { mulberry32 } from '@ambit/testing/tools';

export const EVENT_SCHEMA = {
  type: 'record',
  name: 'BenchEvent',
  namespace: 'dev.ambit.bench',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'payload', type: 'string' },
  ],
} as const;

/** The fold's output record on the Ambit side (`ctx.send` to the agent's declared output). */
export const FOLD_OUT_SCHEMA = {
  type: 'record',
  name: 'FoldOut',
  namespace: 'dev.ambit.bench',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'count', type: 'long' },
    { name: 'chain', type: 'long' },
    { name: 'bytes', type: 'long' },
  ],
} as const;

export interface FoldOut extends FoldState {
  readonly seq: number;
}

export interface BenchEvent {
  readonly seq: number;
  readonly payload: string;
}

export interface FoldState {
  readonly count: number;
  /** FNV-style order-sensitive chain over the key's seqs, unsigned 32-bit. */
  readonly chain: number;
  /** Sum of payload UTF-8 lengths. */
  readonly bytes: number;
}

export const FOLD_INIT: FoldState = { count: 0, chain: 2166136261, bytes: 0 };

export function foldEvent(s: FoldState, e: BenchEvent): FoldState {
  return {
    count: s.count + 1,
    chain: Math.imul((s.chain ^ e.seq) | 0, 16777619) >>> 0,
    bytes: s.bytes + Buffer.byteLength(e.payload, 'utf8'),
  };
}

/** Keys the harness uses to warm a system up (one per partition); left out of checksums. */
export const WARM_PREFIX = 'warm-';

/** Order-independent over keys: sha256 of the sorted `key:count:chain:bytes` lines. */
export function stateChecksum(states: ReadonlyMap<string, FoldState>): string {
  const h = createHash('sha256');
  for (const key of [...states.keys()].filter((k) => !k.startsWith(WARM_PREFIX)).sort()) {
    const s = states.get(key)!;
    h.update(`${key}:${s.count}:${s.chain}:${s.bytes}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

export interface GeneratedEvent {
  readonly key: string;
  readonly event: BenchEvent;
}

/**
 * `count` events over `keys` keys, seeded: keys drawn uniformly, payloads of random capital
 * letters (as ProducerPerformance fills its records) sized so the framed value is
 * `valueBytes` long.
 */
export function generateEvents(count: number, keys: number, valueBytes: number, seed: number): GeneratedEvent[] {
  const rand = mulberry32(seed);
  const out: GeneratedEvent[] = [];
  for (let seq = 0; seq < count; seq++) {
    const key = `k${Math.floor(rand() * keys)}`;
    // 5 framing bytes, the seq varint and the length varint (2 bytes for 64..8191 chars).
    const len = Math.max(1, valueBytes - 5 - varintLength(seq) - 2);
    let payload = '';
    for (let i = 0; i < len; i++) payload += String.fromCharCode(65 + Math.floor(rand() * 26));
    out.push({ key, event: { seq, payload } });
  }
  return out;
}

/** The expected final state per key after folding `events` in order. */
export function expectedStates(events: readonly GeneratedEvent[]): Map<string, FoldState> {
  const states = new Map<string, FoldState>();
  for (const { key, event } of events) states.set(key, foldEvent(states.get(key) ?? FOLD_INIT, event));
  return states;
}

function varintLength(n: number): number {
  let z = n * 2; // zig-zag of a non-negative long
  let len = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    len++;
  }
  return len;
}

/** Reads `seq` from a framed BenchEvent without a schema lookup (outputs of the copy systems). */
export function seqOfFramedEvent(value: Buffer): number {
  if (value.length < 6 || value[0] !== 0) throw new Error('not a framed BenchEvent');
  let shift = 0;
  let z = 0;
  for (let i = 5; i < value.length; i++) {
    const b = value[i]!;
    z += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    shift += 7;
  }
  throw new Error('truncated BenchEvent');
}
