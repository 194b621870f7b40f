import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { HEADER_SIZE, frame, unframe } from './wire.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isAmbitError(e) ? e.code : `not an AmbitError: ${String(e)}`;
  }
  return undefined;
};

describe('Confluent wire framing', () => {
  it('writes magic byte 0 and a big-endian schema id before the body', () => {
    const framed = frame(0x01020304, Buffer.from([7, 8]));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 7, 8]);
    expect(unframe(framed)).toEqual({ schemaId: 0x01020304, body: Buffer.from([7, 8]) });
  });

  it('accepts an empty body (a record with no fields) and plain Uint8Arrays', () => {
    const framed = new Uint8Array(frame(42, new Uint8Array(0)));
    expect(unframe(framed)).toEqual({ schemaId: 42, body: Buffer.alloc(0) });
  });

  it('rejects bytes shorter than the header as SERDE_BAD_BYTES', () => {
    for (let n = 0; n < HEADER_SIZE; n++) expect(codeOf(() => unframe(Buffer.alloc(n)))).toBe('SERDE_BAD_BYTES');
  });

  it('rejects an unknown magic byte as SERDE_BAD_BYTES', () => {
    expect(codeOf(() => unframe(Buffer.from([1, 0, 0, 0, 1, 2])))).toBe('SERDE_BAD_BYTES');
    expect(codeOf(() => unframe(Buffer.from('{"json":true}')))).toBe('SERDE_BAD_BYTES');
  });

  it('rejects a negative schema id as SERDE_BAD_BYTES', () => {
    expect(codeOf(() => unframe(Buffer.from([0, 0xff, 0xff, 0xff, 0xff])))).toBe('SERDE_BAD_BYTES');
  });

  it('refuses to frame an id that does not fit the header', () => {
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(2 ** 31, Buffer.alloc(0))).toThrow(RangeError);
  });
});
