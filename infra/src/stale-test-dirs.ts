/**
 * Test-profile data dirs are deleted on stop; a run that was killed leaves its dir behind.
 * Each test start removes such leftovers: old enough that no launcher is still creating
 * them, and with no live process recorded in them (a concurrent run keeps its own).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ambit/core';
import { dataLayout } from './layout.ts';
import { isRecordedProcess, readPidFile } from './processes.ts';

const MIN_AGE_MS = 10 * 60_000;

export async function removeStaleTestDirs(dataRoot: string, logger: Logger, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dataRoot);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => /^test-[0-9a-f]+$/.test(n))) {
    const dir = join(dataRoot, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || now - info.mtimeMs < MIN_AGE_MS) continue;
    const layout = dataLayout(dir);
    const recs = await Promise.all([readPidFile(layout.pidFile('kafka')), readPidFile(layout.pidFile('registry'))]);
    const live = await Promise.all(recs.map((r) => (r ? isRecordedProcess(r) : false)));
    if (live.some(Boolean)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  if (removed.length > 0) logger.info('removed data dirs of earlier test runs', { removed });
  return removed;
}
