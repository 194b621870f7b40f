/**
 * A broken setup must fail fast (< 30 s), exit non-zero and say what to fix, before any
 * JVM is left behind. Each case runs the real CLI as a child process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, type CliResult } from './cli-runner.ts';

// Ports of their own: the integration global setup runs a test platform on 39092/39093/38081.
const PORTS = { AMBIT_KAFKA_PORT: '29192', AMBIT_KAFKA_CONTROLLER_PORT: '29193', AMBIT_REGISTRY_PORT: '29181' };

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ambit-infra-bad-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return cliEnv({ ...PORTS, AMBIT_DATA_DIR: join(work, 'data'), ...extra });
}

function expectFailure(r: CliResult, code: string, message: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.ms).toBeLessThan(30_000);
  expect(r.stderr).toContain(`error [${code}]`);
  expect(r.stderr).toMatch(message);
}

/** Holds a port, accepting connections and never answering: something that is not Kafka. */
async function holdPort(port: number): Promise<{ release(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    release: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('bad setup', () => {
  it.each([
    ['Kafka', 29192, /127\.0\.0\.1:29192 \(Kafka\) is already in use by something that is not a Kafka broker/],
    ['controller', 29193, /127\.0\.0\.1:29193 \(Kafka controller\) is already in use/],
    ['registry', 29181, /127\.0\.0\.1:29181 \(schema registry\) is already in use/],
  ])('refuses a taken %s port', async (_name, port, message) => {
    const held = await holdPort(port);
    try {
      expectFailure(await runCli(['up'], env()), 'INFRA_PORT_IN_USE', message);
    } finally {
      await held.release();
    }
  });

  it('reports a missing Java (no java on PATH, no JAVA_HOME)', async () => {
    const r = await runCli(['up'], env({ PATH: join(work, 'empty-bin'), JAVA_HOME: undefined }));
    expectFailure(r, 'INFRA_JAVA_MISSING', /Kafka needs Java 17\+.*`java` on PATH/);
  });

  it('reports a Maven resolution failure with Maven’s own error lines', async () => {
    const r = await runCli(
      ['up'],
      env({
        AMBIT_CACHE_DIR: join(work, 'empty-cache'),
        AMBIT_MAVEN_OFFLINE: '1',
        AMBIT_MAVEN_REPO_LOCAL: join(work, 'empty-m2'),
      }),
    );
    expectFailure(r, 'INFRA_MAVEN_FAILED', /failed \(exit 1\):\n.*offline mode/);
  });

  it('says Maven is missing when mvn is not on PATH', async () => {
    // A PATH holding only the java binary's directory.
    const java = await realpath(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
    const r = await runCli(['up'], env({ PATH: dirname(java), AMBIT_CACHE_DIR: join(work, 'empty-cache-2') }));
    expectFailure(r, 'INFRA_MAVEN_FAILED', /`mvn`\) is not on PATH/);
  });
});
