import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { ensureClusterId, isClusterId, newClusterId, readClusterId } from './cluster-id.ts';

describe('newClusterId', () => {
  it('is 22 URL-safe base64 characters', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isClusterId(id)).toBe(true);
    }
  });

  it("re-draws ids that start with '-' (the format tool would read them as an option)", () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)]; // 0xfb.. encodes to '-'..
    expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
    const id = newClusterId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(draws).toHaveLength(0);
  });
});

describe('cluster id file', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is created once and then kept', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-cid-'));
    const file = join(dir, 'sub', 'cluster.id');
    expect(await readClusterId(file)).toBeUndefined();
    const id = await ensureClusterId(file);
    expect(await ensureClusterId(file)).toBe(id);
    expect((await readFile(file, 'utf8')).trim()).toBe(id);
  });

  it('refuses a file that holds something else', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ambit-cid-'));
    const file = join(dir, 'cluster.id');
    await writeFile(file, 'not an id\n');
    await expect(readClusterId(file)).rejects.toSatisfy((e: unknown) => isAmbitError(e, 'CONFIG_INVALID'));
  });
});
