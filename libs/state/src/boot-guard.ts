/**
 * The machine-crash guard that lets a store skip fsync on every commit (ADR 0006, point 4).
 *
 * An unsynced LevelDB batch survives a process crash (it is in the page cache) but not a
 * machine crash, and after one LevelDB may keep later batches while losing an earlier one,
 * leaving data that disagrees with its checkpoint. A machine crash always means a new
 * kernel boot, so: while a store is open unsynced, a marker file in its directory names
 * the boot it was opened in (made durable before any unsynced write); a clean close syncs
 * the store and removes the marker. Opening a store whose marker names another boot means
 * the machine went down under it: the store is wiped and restored from its changelog, as
 * Kafka Streams does with a store it cannot trust after an unclean stop.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

const MARKER = 'AMBIT-UNSYNCED-BOOT';
const BOOT_ID = '/proc/sys/kernel/random/boot_id';

let cached: string | null | undefined;

/** This boot's id (Linux); undefined where the kernel does not say, and stores then sync every batch. */
export function currentBootId(): string | undefined {
  if (cached === undefined) {
    try {
      cached = readFileSync(BOOT_ID, 'utf8').trim() || null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** The boot a store was left open (unsynced) in, or undefined when it was closed cleanly or never opened so. */
export async function leftOpenInBoot(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, MARKER), 'utf8')).trim() || undefined;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Durably records that the store in `dir` is open unsynced in boot `bootId` (before any unsynced write). */
export async function markOpenUnsynced(dir: string, bootId: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = await open(join(dir, MARKER), 'w');
  try {
    await file.writeFile(bootId);
    await file.sync();
  } finally {
    await file.close();
  }
  const d = await open(dir, 'r');
  try {
    await d.sync(); // the marker's directory entry
  } finally {
    await d.close();
  }
}

/** After a synced write at close: the store holds nothing unsynced any more. */
export async function markClosedCleanly(dir: string): Promise<void> {
  await rm(join(dir, MARKER), { force: true });
}
