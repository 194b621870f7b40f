/**
 * A system under test as a child process: its JSON event lines on stdout
 * (`{"event":"first","at":<ms>}` and the like), its CPU time and peak RSS sampled from
 * /proc, and a graceful stop (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onLines, Ring } from '@ambit/testing/tools';

/** Linux's USER_HZ; /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface Sample {
  readonly at: number;
  /** utime + stime, ms. */
  readonly cpuMs: number;
}

interface ProcessEvent {
  readonly event: string;
  readonly at: number;
  readonly [field: string]: unknown;
}

export class MonitoredProcess {
  readonly #child: ChildProcess;
  readonly #samples: Sample[] = [];
  readonly #events: ProcessEvent[] = [];
  readonly #stderr = new Ring(200);
  readonly #timer: NodeJS.Timeout;
  #peakRssKb = 0;
  #exit: Promise<number | null>;
  #exited = false;

  constructor(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.#child = spawn(command, [...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    // BENCH_PROCESS_LOG_DIR=<dir> keeps each system's stdout (e.g. the host's diagnostics with
    // AMBIT_DIAGNOSTICS=stdout) for a closer look.
    const keep = process.env.BENCH_PROCESS_LOG_DIR
      ? createWriteStream(join(process.env.BENCH_PROCESS_LOG_DIR, `${name.replace(/[^a-zA-Z0-9.-]+/g, '_')}.out`))
      : undefined;
    onLines(this.#child.stdout!, (raw) => {
      keep?.write(`${raw}\n`);
      const line = raw.trim();
      if (!line.startsWith('{')) return;
      try {
        const e = JSON.parse(line) as ProcessEvent;
        if (typeof e.event === 'string') this.#events.push(e);
      } catch {
        // not one of our event lines
      }
    });
    onLines(this.#child.stderr!, (line) => this.#stderr.push(line));
    this.#exit = new Promise((resolve) =>
      this.#child.on('exit', (code) => {
        this.#exited = true;
        resolve(code);
      }),
    );
    this.#timer = setInterval(() => this.sample(), 200);
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Reads CPU time and the RSS high-water mark now (also called on a timer). */
  sample(): void {
    if (this.#exited || this.#child.pid === undefined) return;
    try {
      const stat = readFileSync(`/proc/${this.#child.pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      this.#samples.push({ at: Date.now(), cpuMs: (ticks * 1000) / TICKS_PER_SECOND });
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.#child.pid}/status`, 'utf8'));
      if (hwm) this.#peakRssKb = Math.max(this.#peakRssKb, Number(hwm[1]));
    } catch {
      // exited between the check and the read
    }
  }

  event(name: string): ProcessEvent | undefined {
    return this.#events.find((e) => e.event === name);
  }

  /** CPU seconds spent between two instants, interpolated between samples. */
  cpuSecondsBetween(from: number, to: number): number {
    return (this.#cpuAt(to) - this.#cpuAt(from)) / 1000;
  }

  #cpuAt(t: number): number {
    const s = this.#samples;
    if (s.length === 0) return 0;
    if (t <= s[0]!.at) return s[0]!.cpuMs;
    for (let i = 1; i < s.length; i++) {
      const b = s[i]!;
      if (b.at >= t) {
        const a = s[i - 1]!;
        return a.cpuMs + ((b.cpuMs - a.cpuMs) * (t - a.at)) / Math.max(1, b.at - a.at);
      }
    }
    return s[s.length - 1]!.cpuMs;
  }

  get peakRssMb(): number {
    return Math.round(this.#peakRssKb / 1024);
  }

  stderrTail(lines = 15): string {
    return this.#stderr.tail(lines);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  async stop(graceMs = 30_000): Promise<number | null> {
    this.sample();
    clearInterval(this.#timer);
    if (!this.#exited) this.#child.kill('SIGTERM');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    const code = await this.#exit;
    clearTimeout(killer);
    return code;
  }
}
