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
 * Writes are synchronous (a SIGKILL right after one keeps it: the page cache survives the
 * process) and cannot be torn by the process dying: a ledger that fits in one page is
 * rewritten in place by one positional write at offset 0, which the kernel copies in one
 * step, padded with spaces to the file's size so no stale tail remains (JSON ignores them);
 * a bigger one goes through a temp file and a rename. In place, because a write per
 * dispatched batch made temp file + rename + mkdir 39% of a busy host's CPU (bench/).
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes up to this size are copied by the kernel in one step (one page). */
const IN_PLACE_MAX_BYTES = 4096;

interface LedgerFile {
  /** Highest dispatched offset per input topic since the last commit. */
  dispatched: Record<string, number>;
  /** Solo starts per suspect record, keyed `<topic>@<offset>`. */
  solo: Record<string, number>;
}

export class InflightLedger {
  readonly #path: string;
  #data: LedgerFile;
  /** Open for the ledger's life once written (a task's lifetime on this host; one per partition). */
  #fd: number | undefined;
  /** Bytes in the file now (in-place writes pad to it). */
  #size = 0;

  constructor(path: string) {
    this.#path = path;
    this.#data = InflightLedger.#read(path);
    try {
      this.#size = statSync(path).size;
    } catch {
      this.#size = 0;
    }
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

  /** Whether `offset` of `topic` is already on disk as dispatched (the per-record check: no allocation). */
  coversOffset(topic: string, offset: number): boolean {
    return (this.#data.dispatched[topic] ?? -1) >= offset;
  }

  /** Whether the ledger already has every given offset as dispatched (nothing to write). */
  covers(highest: ReadonlyMap<string, number>): boolean {
    for (const [topic, offset] of highest) if ((this.#data.dispatched[topic] ?? -1) < offset) return false;
    return true;
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
    if (Object.keys(this.#data.dispatched).length > 0 || Object.keys(this.#data.solo).length > 0) {
      this.#data = { dispatched: {}, solo: {} };
      this.#write();
    }
    this.#closeFd();
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
    const text = JSON.stringify(this.#data);
    const bytes = Buffer.from(this.#size > text.length ? text.padEnd(this.#size, ' ') : text, 'utf8');
    if (bytes.length <= IN_PLACE_MAX_BYTES) {
      if (this.#fd === undefined) {
        mkdirSync(dirname(this.#path), { recursive: true });
        this.#fd = openSync(this.#path, constants.O_RDWR | constants.O_CREAT, 0o644);
      }
      writeSync(this.#fd, bytes, 0, bytes.length, 0);
      this.#size = Math.max(this.#size, bytes.length);
      return;
    }
    // The rename replaces the file: the open descriptor would write to the old one.
    this.#closeFd();
    mkdirSync(dirname(this.#path), { recursive: true });
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.#path);
    this.#size = Buffer.byteLength(text);
  }

  #closeFd(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
