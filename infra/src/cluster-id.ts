/**
 * The KRaft cluster id. The file beside the broker's log dir is the source of truth for
 * which cluster a data directory belongs to; the launcher compares it with whatever broker
 * answers on the configured port before reusing that broker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AmbitError } from '@ambit/core';

/** 16 random bytes, URL-safe base64 without padding: the format `kafka-storage random-uuid` prints. */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    // Kafka's own generator re-draws ids starting with '-': the format tool would read one as an option.
    if (!id.startsWith('-')) return id;
  }
}

export function isClusterId(s: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(s);
}

export async function readClusterId(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const id = text.trim();
  if (!isClusterId(id)) {
    throw new AmbitError(
      'CONFIG_INVALID',
      `${file} does not hold a Kafka cluster id (found '${id.slice(0, 40)}'): restore it or remove the data dir`,
    );
  }
  return id;
}

/** Returns the stored id, or draws and stores a new one for a fresh data dir. */
export async function ensureClusterId(file: string): Promise<string> {
  const existing = await readClusterId(file);
  if (existing) return existing;
  const id = newClusterId();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, id + '\n');
  return id;
}
