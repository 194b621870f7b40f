/**
 * Runs the launcher CLI as a child process, as a developer would, for the integration
 * tests. Not a test file itself (vitest's integration project matches *.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The caller's environment minus anything that would point the CLI at another platform. */
export function cliEnv(overrides: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AMBIT_') && k !== 'KAFKA_BROKERS' && k !== 'SCHEMA_REGISTRY_URL') env[k] = v;
  }
  return { ...env, ...overrides };
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined>): ChildProcess {
  // The absolute node path keeps working when a test empties PATH.
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: repoRoot,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: readonly string[], env: Record<string, string | undefined>, timeoutMs = 150_000): Promise<CliResult> {
  const start = Date.now();
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - start });
    });
  });
}

/** `# kafka  127.0.0.1:29092  cluster <id> ...` -> the id. */
export function clusterIdFrom(stdout: string): string | undefined {
  return /^# kafka\s+\S+\s+cluster (\S+)/m.exec(stdout)?.[1];
}
