/** Helpers for this package's unit tests; not exported from index.ts. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAmbitError } from '@ambit/core';
import type { ChangelogPort } from './changelog-port.ts';

/** mulberry32: a seeded PRNG so a failing random sequence reproduces. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Appended = [store: string, key: string, value: string | null];

/** A changelog port that records what it was given (values as strings). */
export function recordingPort(): ChangelogPort & { readonly appended: Appended[] } {
  const appended: Appended[] = [];
  return { appended, append: (store, key, value) => appended.push([store, key, value === null ? null : value.toString('utf8')]) };
}

/** A fresh temp directory, and a cleanup for afterEach. */
export async function tempDirs(): Promise<{ dir: (name?: string) => string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'ambit-state-'));
  return { dir: (name = 'task') => join(root, name), cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Entries as [key, utf8 value] pairs, for readable assertions. */
export async function strings(it: AsyncIterable<readonly [string, Buffer]>): Promise<Array<[string, string]>> {
  return (await collect(it)).map(([k, v]) => [k, v.toString('utf8')]);
}

/** The AmbitError code a call throws (or rejects with), or undefined. */
export async function codeOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return isAmbitError(e) ? e.code : e;
  }
  return undefined;
}

export const b = (s: string): Buffer => Buffer.from(s, 'utf8');
