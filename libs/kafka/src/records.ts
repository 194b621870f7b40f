/** Record shapes Ambit code sees; never the client's own message types. */

/** Header values are bytes on the wire; strings are written as UTF-8. */
export type Headers = Readonly<Record<string, string | Buffer>>;

export interface ProducerRecord {
  readonly topic: string;
  /** Keys are plain UTF-8 strings (never schema-framed); null only for keyless topics. */
  readonly key: string | null;
  readonly value: Buffer | null;
  /** Explicit partition; otherwise the Java-compatible partitioner picks one from the key. */
  readonly partition?: number;
  readonly headers?: Headers;
  readonly timestamp?: number;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  /** The key's raw bytes (DLQ and key-partition checks need them unchanged). */
  readonly keyBytes: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly timestamp: number;
}

export interface DeliveryReport {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume (last processed + 1). */
  readonly offset: number;
  /** Commit metadata (the broker caps it at offset.metadata.max.bytes, 4096 by default). */
  readonly metadata?: string;
}

export function toClientHeaders(h: Headers | undefined): Array<Record<string, string | Buffer>> | undefined {
  if (!h) return undefined;
  const out: Array<Record<string, string | Buffer>> = [];
  for (const k in h) out.push({ [k]: h[k]! });
  return out;
}

export function fromClientHeaders(h: unknown): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (!Array.isArray(h)) return out;
  for (const entry of h as Array<Record<string, unknown>>) {
    for (const [k, v] of Object.entries(entry)) {
      out[k] = Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    }
  }
  return out;
}
