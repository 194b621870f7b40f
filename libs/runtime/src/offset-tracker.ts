/**
 * Progress of one input partition under key-level concurrency (invariant 6, docs/invariants.md,
 * after Confluent's Parallel Consumer): records enter in offset order and complete in any
 * order. The committable position is the lowest incomplete offset (or one past the last
 * record when all are done); the completed offsets above it are committed alongside, so a
 * restart skips them instead of running them twice.
 */
export class OffsetTracker {
  /** Offsets entered and not yet below the committable position, ascending. */
  readonly #offsets: number[] = [];
  readonly #done: boolean[] = [];
  #head = 0;
  /** One past the last offset that left the front (all done). */
  #passed: number | undefined;

  /** A record entered (dispatched or queued); offsets must ascend. */
  add(offset: number): void {
    const last = this.#offsets.length > this.#head ? this.#offsets[this.#offsets.length - 1]! : (this.#passed ?? -1) - 1;
    if (offset <= last) throw new RangeError(`offset ${offset} entered after ${last}`);
    this.#offsets.push(offset);
    this.#done.push(false);
  }

  /** A record completed (processed, dead-lettered, or skipped as done before). */
  complete(offset: number): void {
    let lo = this.#head;
    let hi = this.#offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#offsets[mid]!;
      if (v === offset) {
        this.#done[mid] = true;
        this.#advance();
        return;
      }
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new RangeError(`offset ${offset} was never entered`);
  }

  #advance(): void {
    while (this.#head < this.#offsets.length && this.#done[this.#head]) {
      this.#passed = this.#offsets[this.#head]! + 1;
      this.#head++;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#offsets.length) {
      this.#offsets.splice(0, this.#head);
      this.#done.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Where a restart must resume: the lowest incomplete offset, else one past the last; undefined before any record. */
  position(): number | undefined {
    return this.#head < this.#offsets.length ? this.#offsets[this.#head]! : this.#passed;
  }

  /** Completed offsets above `position()`, ascending. */
  doneAbove(): number[] {
    const out: number[] = [];
    for (let i = this.#head; i < this.#offsets.length; i++) if (this.#done[i]) out.push(this.#offsets[i]!);
    return out;
  }

  /** The lowest incomplete offset, undefined when none is incomplete. */
  lowestIncomplete(): number | undefined {
    return this.#head < this.#offsets.length ? this.#offsets[this.#head]! : undefined;
  }

  /** Records entered and not yet completed. */
  get incomplete(): number {
    let n = 0;
    for (let i = this.#head; i < this.#offsets.length; i++) if (!this.#done[i]) n++;
    return n;
  }
}
