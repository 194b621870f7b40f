/**
 * A task's progress record, kept in the internal `ambit-progress` store (changelogged, so
 * it moves with the task): per input, the offsets completed above the committed position
 * (under key-level concurrency a restart skips them instead of running them twice,
 * invariant 6), and the journal's read-back mark. Written in the transaction, and only
 * when it changed, so an agent without concurrency or steps writes it rarely.
 * Source of truth for which offsets above the position count as done.
 */
import type { Logger } from '@ambit/core';
import type { KeyValueStore, ReadOnlyKeyValueStore } from '@ambit/state';

export const PROGRESS_STORE = 'ambit-progress';

export class TaskProgress {
  /** Per input topic: offsets committed as done above the resume position (skipped, not re-run). */
  #skip = new Map<string, Set<number>>();
  /** Done-above sets of the open transaction's progress, adopted as `skip` once it commits. */
  #skipStaged = new Map<string, Set<number>>();
  /** Last progress record written per progress key (written again only when it changes). */
  readonly #written = new Map<string, string>();
  /** Progress written into the open transaction, remembered once it commits. */
  #staged: Array<[string, string]> = [];

  /** Committed as done above the position before a restart: completes without running. */
  isDone(topic: string, offset: number): boolean {
    return this.#skip.size > 0 && this.#skip.get(topic)?.has(offset) === true;
  }

  /**
   * After a restore: reads the progress record; the done sets apply only where they were
   * written at the committed position the task resumes from. Returns the journal mark (-1: none).
   */
  async load(store: ReadOnlyKeyValueStore, topics: readonly string[], resumeAt: ReadonlyMap<string, number>, log: Logger): Promise<number> {
    this.#skip = new Map();
    this.#skipStaged = new Map();
    this.#written.clear();
    this.#staged = [];
    for (const topic of topics) {
      const key = `done/${topic}`;
      const raw = await store.get(key);
      if (!raw) continue;
      this.#written.set(key, raw.toString());
      const p = JSON.parse(raw.toString()) as { at: number; done: number[] };
      if (p.at === resumeAt.get(topic)) this.#skip.set(topic, new Set(p.done));
      else log.warn('progress record does not match the committed offset; not skipping', { topic, at: p.at });
    }
    const mark = await store.get('journal');
    if (mark) this.#written.set('journal', mark.toString());
    return mark ? Number(mark.toString()) : -1;
  }

  /**
   * Stages the progress of the transaction about to commit into `store` (a scope's handle):
   * per input, the done offsets above its position (what completed here, plus what an
   * earlier owner committed as done and this task has not fetched yet), and the journal
   * mark. Returns false when nothing changed (nothing written).
   */
  stage(
    store: () => KeyValueStore,
    inputs: ReadonlyArray<{ topic: string; position: number | undefined; doneAbove: readonly number[] }>,
    journalMark: number,
  ): boolean {
    const writes: Array<[string, string]> = [];
    this.#skipStaged = new Map();
    for (const { topic, position: at, doneAbove } of inputs) {
      if (at === undefined) continue;
      const carried = [...(this.#skip.get(topic) ?? [])].filter((o) => o >= at);
      const done = carried.length === 0 ? [...doneAbove] : [...new Set([...doneAbove, ...carried])].sort((a, b) => a - b);
      this.#skipStaged.set(topic, new Set(done));
      const key = `done/${topic}`;
      // No entry and nothing done above: nothing to say.
      if (done.length === 0 && !this.#written.has(key)) continue;
      const value = JSON.stringify({ at, done });
      if (this.#written.get(key) !== value) writes.push([key, value]);
    }
    if (journalMark >= 0 && this.#written.get('journal') !== String(journalMark)) writes.push(['journal', String(journalMark)]);
    this.#staged = writes;
    if (writes.length === 0) return false;
    const s = store();
    for (const [k, v] of writes) s.put(k, Buffer.from(v));
    return true;
  }

  /** The transaction committed: what it wrote is what the store holds; its done sets are skipped from now on. */
  committed(): void {
    for (const [k, v] of this.#staged) this.#written.set(k, v);
    this.#staged = [];
    for (const [topic, done] of this.#skipStaged) this.#skip.set(topic, done);
    this.#skipStaged = new Map();
  }

  /** The transaction aborted: nothing it staged counts. */
  aborted(): void {
    this.#staged = [];
    this.#skipStaged = new Map();
  }
}
