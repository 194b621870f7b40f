/**
 * A task's in-flight ledger: which input records were handed to a handler since the last
 * commit, and how many times each suspect record was started alone. It lives on local disk,
 * outside the Kafka transaction (an aborted or never-committed transaction must not erase
 * the evidence of a crash), next to the task's store directory but not inside it (a wiped
 * store keeps its ledger).
 *
 * After an unclean stop the records between the committed offset and the highest dispatched
 * one are suspects: the runner re-runs them one at a time, each in its own transaction, and
 * counts a start before each run. Only the record that keeps killing the process accrues
 * starts; the others commit on their first solo run and leave the ledger.
 *
 * Writes are synchronous and atomic (temp file + rename): a SIGKILL right after a write
 * keeps it (the page cache survives the process), a torn write is impossible.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface LedgerFile {
  /** Highest dispatched offset per input topic since the last commit. */
  dispatched: Record<string, number>;
  /** Solo starts per suspect record, keyed `<topic>@<offset>`. */
  solo: Record<string, number>;
}

export class InflightLedger {
  readonly #path: string;
  #data: LedgerFile;

  constructor(path: string) {
    this.#path = path;
    this.#data = InflightLedger.#read(path);
  }

  static #read(path: string): LedgerFile {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LedgerFile>;
      return { dispatched: { ...(parsed.dispatched ?? {}) }, solo: { ...(parsed.solo ?? {}) } };
    } catch {
      // Missing (first run on this host) or unreadable: no evidence of a crash.
      return { dispatched: {}, solo: {} };
    }
  }

  /**
   * Suspect ranges after a restart: per input topic, the last dispatched offset when it is at
   * or above the offset the task resumes from (records below it were committed since).
   */
  suspects(resumeAt: ReadonlyMap<string, number>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [topic, upTo] of Object.entries(this.#data.dispatched)) {
      const from = resumeAt.get(topic) ?? 0;
      if (upTo >= from) out.set(topic, upTo);
    }
    return out;
  }

  /** Records up to `offset` of `topic` are about to run: on disk before any of them starts. */
  dispatch(highest: ReadonlyMap<string, number>): void {
    let changed = false;
    for (const [topic, offset] of highest) {
      if ((this.#data.dispatched[topic] ?? -1) < offset) {
        this.#data.dispatched[topic] = offset;
        changed = true;
      }
    }
    if (changed) this.#write();
  }

  /** Solo starts of a suspect record that never finished: each one ended with the process dying. */
  crashedStarts(topic: string, offset: number): number {
    return this.#data.solo[`${topic}@${offset}`] ?? 0;
  }

  /** Counts a solo start of a suspect record, on disk before it runs. */
  startSolo(topic: string, offset: number): void {
    const id = `${topic}@${offset}`;
    this.#data.solo[id] = (this.#data.solo[id] ?? 0) + 1;
    this.#write();
  }

  /**
   * The solo run returned (done, failed, or aborted by a transient error such as a registry
   * outage): the process survived it, so the start is not a crash.
   */
  endSolo(topic: string, offset: number): void {
    const id = `${topic}@${offset}`;
    const n = (this.#data.solo[id] ?? 0) - 1;
    if (n > 0) this.#data.solo[id] = n;
    else delete this.#data.solo[id];
    this.#write();
  }

  /** A graceful close: nothing in flight is evidence of a crash. */
  clear(): void {
    if (Object.keys(this.#data.dispatched).length === 0 && Object.keys(this.#data.solo).length === 0) return;
    this.#data = { dispatched: {}, solo: {} };
    this.#write();
  }

  /** A commit moved the task to `positions`: nothing below them is in flight any more. */
  committed(positions: ReadonlyMap<string, number>): void {
    let changed = false;
    for (const [topic, upTo] of Object.entries(this.#data.dispatched)) {
      const at = positions.get(topic);
      if (at !== undefined && upTo < at) {
        delete this.#data.dispatched[topic];
        changed = true;
      }
    }
    for (const id of Object.keys(this.#data.solo)) {
      const cut = id.lastIndexOf('@');
      const at = positions.get(id.slice(0, cut));
      if (at !== undefined && Number(id.slice(cut + 1)) < at) {
        delete this.#data.solo[id];
        changed = true;
      }
    }
    if (changed) this.#write();
  }

  #write(): void {
    mkdirSync(dirname(this.#path), { recursive: true });
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#data));
    renameSync(tmp, this.#path);
  }
}
