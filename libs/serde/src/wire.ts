/**
 * Confluent wire framing: magic byte 0, the writer schema's registry id as a 4-byte
 * big-endian integer, then the Avro binary body. Every Confluent-compatible client
 * (Java, librdkafka-based, kcat with Avro) reads and writes this layout.
 */
import { AmbitError } from '@ambit/core';

export const MAGIC_BYTE = 0;
/** Magic byte + schema id. */
export const HEADER_SIZE = 5;

/** Prepends the wire header to an Avro body. */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new RangeError(`invalid schema id ${schemaId}`);
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  out.set(body, HEADER_SIZE);
  return out;
}

/** Splits framed bytes into schema id and Avro body; SERDE_BAD_BYTES when they cannot be framed. */
export function unframe(bytes: Uint8Array): { schemaId: number; body: Buffer } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_SIZE) {
    throw new AmbitError('SERDE_BAD_BYTES', `record is ${buf.length} bytes, shorter than the ${HEADER_SIZE}-byte wire header`, {
      details: { length: buf.length },
    });
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw new AmbitError('SERDE_BAD_BYTES', `unknown magic byte ${buf[0]} (expected ${MAGIC_BYTE})`, {
      details: { magicByte: buf[0] },
    });
  }
  const schemaId = buf.readInt32BE(1);
  if (schemaId < 0) {
    throw new AmbitError('SERDE_BAD_BYTES', `negative schema id ${schemaId} in wire header`, { details: { schemaId } });
  }
  return { schemaId, body: buf.subarray(HEADER_SIZE) };
}
