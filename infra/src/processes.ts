/**
 * Launching and stopping the platform's JVMs. A pid file records each process we started;
 * before signalling a pid we check its command line still carries our instance tag, so a
 * recycled pid that now belongs to something else is never killed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import type { Component } from './layout.ts';

export interface PidRecord {
  readonly pid: number;
  readonly component: Component;
  /** A string present in the process's command line and nowhere else: `-Dambit.instance=<data dir>`. */
  readonly tag: string;
  readonly port: number;
  readonly startedAt: string;
}

export interface LaunchSpec {
  readonly component: Component;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logFile: string;
  /** Outlives this process (the CLI's `up`); otherwise dies with it where the OS allows. */
  readonly detached: boolean;
}

export interface Launched {
  readonly component: Component;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  readonly child: ChildProcess;
}

/** The tag both JVMs carry, naming the data dir they belong to. */
export function instanceTag(dataDir: string): string {
  return `-Dambit.instance=${dataDir}`;
}

const MAX_LOG_BYTES = 50 * 1024 * 1024;
// Linux only: with a parent-death signal, a test run that is killed does not leave JVMs behind.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && existsSync(p));

export function launch(spec: LaunchSpec): Launched {
  rotateIfLarge(spec.logFile);
  const fd = openSync(spec.logFile, 'a');
  writeSync(fd, `\n===== ambit: ${spec.component} starting at ${new Date().toISOString()} =====\n`);
  const [command, args] =
    !spec.detached && SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', spec.command, ...spec.args]] : [spec.command, [...spec.args]];
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env as NodeJS.ProcessEnv,
      stdio: ['ignore', fd, fd],
      // Always a session of its own: a terminal's Ctrl-C reaches only us, and we stop the
      // processes in order (registry first) instead of racing them as they all get SIGINT.
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // spawn reports ENOENT asynchronously; the caller sees it as an immediate exit.
    child.once('error', () => resolve({ code: null, signal: null }));
  }).finally(() => {
    done = true;
  });
  if (spec.detached) child.unref();
  return { component: spec.component, pid: child.pid ?? -1, logFile: spec.logFile, exited, hasExited: () => done, child };
}

function rotateIfLarge(file: string): void {
  try {
    if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

export async function writePidFile(file: string, rec: PidRecord): Promise<void> {
  await writeFile(file, JSON.stringify(rec) + '\n');
}

export async function readPidFile(file: string): Promise<PidRecord | undefined> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as PidRecord;
    return Number.isInteger(rec.pid) && rec.pid > 0 ? rec : undefined;
  } catch {
    return undefined;
  }
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's arguments (Linux: exact, from /proc; elsewhere `ps`, split on spaces). */
async function commandLine(pid: number): Promise<string[] | undefined> {
  if (process.platform === 'linux') {
    return readFile(`/proc/${pid}/cmdline`, 'utf8').then(
      (s) => s.split('\0'),
      () => undefined,
    );
  }
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'args=', '-p', String(pid)], (err, stdout) => resolve(err ? undefined : stdout.trim().split(' ')));
  });
}

/** The process is alive and is the one the record describes (not a recycled pid). */
export async function isRecordedProcess(rec: PidRecord): Promise<boolean> {
  if (!isAlive(rec.pid)) return false;
  const args = await commandLine(rec.pid);
  if (!args) return false;
  // Whole-argument match: /data/a must not vouch for a process of /data/ab.
  return args.includes(rec.tag) || args.join(' ').includes(`${rec.tag} `);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM (a clean shutdown: Kafka flushes and closes its logs), then SIGKILL after
 * `timeoutMs`. Resolves once the pid is gone. Returns how it ended.
 */
export async function stopPid(pid: number, timeoutMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!signal(pid, 'SIGTERM')) return 'not-running';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

/** Stops a process this process launched (awaits its exit event rather than polling a pid). */
export async function stopLaunched(p: Launched, timeoutMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (p.hasExited() || p.pid < 0) return 'not-running';
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  // The timer is cleared either way: a pending one would keep a test runner alive for its length.
  const outcome = await Promise.race([p.exited.then(() => 'exited' as const), timedOut]).finally(() => clearTimeout(timer));
  if (outcome === 'exited') return 'stopped';
  p.child.kill('SIGKILL');
  await p.exited;
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The last `n` lines of a log file (reads at most its last 64 KiB). */
export async function tailLines(file: string, n: number): Promise<string[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-n);
  } finally {
    await fh.close();
  }
}
