/**
 * The changelog checkpoint: how far into each changelog partition the local store is. It
 * lives inside the task's LevelDB and is written only in the same atomic batch as the data
 * it describes (ADR 0006), so the two can never disagree after a crash.
 */
import { AmbitError, tpKey } from '@ambit/core';

/** Position of the store in one changelog partition. */
export interface ChangelogOffset {
  readonly topic: string;
  readonly partition: number;
  /** The changelog's topic id: a recreated changelog has a new one (invariant 5, docs/invariants.md). */
  readonly topicId: string;
  /** Next changelog offset to read: last applied offset + 1. */
  readonly offset: number;
}

export interface Checkpoint {
  /** One entry per changelog partition the store has applied, sorted by topic then partition. */
  readonly changelogs: readonly ChangelogOffset[];
  /**
   * When it was written (ms since the epoch). A store whose checkpoint is older than the
   * changelog's `delete.retention.ms` may have missed compacted-away tombstones: wipe it.
   */
  readonly writtenAt: number;
}

const FORMAT = 1;

function invalid(message: string): AmbitError {
  return new AmbitError('STATE_INVALID_ARGUMENT', message);
}

function checkOffset(o: ChangelogOffset): ChangelogOffset {
  if (typeof o.topic !== 'string' || o.topic === '') throw invalid('changelog offset needs a topic');
  if (!Number.isSafeInteger(o.partition) || o.partition < 0) throw invalid(`bad partition in ${o.topic}`);
  if (typeof o.topicId !== 'string' || o.topicId === '') throw invalid(`changelog offset for ${tpKey(o)} needs a topicId`);
  if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw invalid(`bad offset for ${tpKey(o)}`);
  return Object.freeze({ topic: o.topic, partition: o.partition, topicId: o.topicId, offset: o.offset });
}

/**
 * The checkpoint after applying `offsets` on top of `previous`: named partitions move,
 * the others keep their offset. A partition whose topic id changed means the changelog was
 * recreated under the store's feet; only a wipe (which clears the checkpoint) allows that.
 */
export function nextCheckpoint(previous: Checkpoint | undefined, offsets: readonly ChangelogOffset[], writtenAt: number): Checkpoint {
  const byTp = new Map<string, ChangelogOffset>();
  for (const o of previous?.changelogs ?? []) byTp.set(tpKey(o), o);
  const seen = new Set<string>();
  for (const raw of offsets) {
    const o = checkOffset(raw);
    const k = tpKey(o);
    if (seen.has(k)) throw invalid(`${k} appears twice in one checkpoint`);
    seen.add(k);
    const old = byTp.get(k);
    if (old && old.topicId !== o.topicId) {
      throw new AmbitError(
        'STATE_CHANGELOG_RECREATED',
        `changelog ${k} has topic id ${o.topicId}, the store was built from ${old.topicId}`,
        {
          details: { topic: o.topic, partition: o.partition, checkpointTopicId: old.topicId, topicId: o.topicId },
        },
      );
    }
    byTp.set(k, o);
  }
  const changelogs = [...byTp.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return Object.freeze({ changelogs: Object.freeze(changelogs), writtenAt });
}

export function encodeCheckpoint(c: Checkpoint): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, writtenAt: c.writtenAt, changelogs: c.changelogs }), 'utf8');
}

/** Parses a stored checkpoint; anything unreadable means the store cannot be trusted. */
export function decodeCheckpoint(bytes: Buffer): Checkpoint {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { format?: unknown; writtenAt?: unknown; changelogs?: unknown };
    if (v.format !== FORMAT) throw new Error(`unknown checkpoint format ${String(v.format)}`);
    if (!Number.isSafeInteger(v.writtenAt) || !Array.isArray(v.changelogs)) throw new Error('malformed checkpoint');
    return nextCheckpoint(undefined, v.changelogs as ChangelogOffset[], v.writtenAt as number);
  } catch (e) {
    throw new AmbitError('STATE_CORRUPTED', 'state checkpoint is unreadable', { cause: e });
  }
}
