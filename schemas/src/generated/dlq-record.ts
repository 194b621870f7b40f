// generated — do not edit. Source: schemas/avro/DlqRecord.avsc. Regenerate with `pnpm codegen`.

/** A record the agent runtime gave up on (poison, or a handler that keeps failing), with the original bytes so it can be re-driven. Topic <agent>.dlq, key = the original key. */
export interface DlqRecord {
  /** Agent id. */
  agent: string;
  /** Agent version that failed on the record. */
  agentVersion: string;
  /** Original topic. */
  topic: string;
  /** Original partition. */
  partition: number;
  /** Original offset. */
  offset: number;
  /** Original record timestamp. Avro `timestamp-millis`: epoch milliseconds. */
  timestamp: number;
  /** Original key bytes, exactly as read. */
  key: Buffer | null;
  /** Original value bytes, exactly as read (wire framing included). */
  value: Buffer | null;
  /** Original headers, in order (names may repeat). */
  headers: RecordHeader[];
  /** Stable Ambit error code of the cause (e.g. SERDE_BAD_BYTES). */
  errorCode: string;
  /** Error message; never contains raw payload values. */
  errorMessage: string;
  /** How many times the record was tried (crash attempts are counted outside the transaction). */
  attempts: number;
  /** When the runtime gave up. Avro `timestamp-millis`: epoch milliseconds. */
  failedAt: number;
}

/** One Kafka record header, in the original order. */
export interface RecordHeader {
  /** Header name. */
  key: string;
  /** Header value bytes. */
  value: Buffer | null;
}
