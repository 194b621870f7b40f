import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { decodeKey, encodeKey, keySerde } from './serde.ts';

describe('keySerde', () => {
  it('writes plain UTF-8 with no framing', async () => {
    for (const key of ['tenant-1', '', 'ключ:42', 'emoji 🧪', 'a\u0000b']) {
      const bytes = await keySerde.serialize(key);
      expect(bytes.equals(Buffer.from(key, 'utf8'))).toBe(true);
      expect(await keySerde.deserialize(bytes)).toBe(key);
    }
  });

  it('rejects bytes that are not UTF-8 as SERDE_BAD_BYTES', async () => {
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    await expect(keySerde.deserialize(bad)).rejects.toSatisfy((e) => isAmbitError(e, 'SERDE_BAD_BYTES'));
    expect(() => decodeKey(Buffer.from([0xc3]))).toThrow(/not valid UTF-8/);
  });

  it('rejects a key with a lone surrogate instead of silently changing it', () => {
    expect(() => encodeKey('x\ud800y')).toThrow(expect.objectContaining({ code: 'SERDE_INVALID_VALUE' }));
    expect(encodeKey('\ud83e\uddea').toString('utf8')).toBe('🧪'); // a proper pair is fine
  });

  it('keeps a leading byte order mark as part of the key', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x6b]);
    expect(encodeKey(decodeKey(bytes)).equals(bytes)).toBe(true);
  });
});
