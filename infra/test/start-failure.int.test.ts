/** A process that dies during start-up fails the start at once, with its log tail, and nothing is left running. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AmbitError } from '@ambit/core';
import { startPlatform, type PlatformOptions } from '../src/index.ts';
import { isPortFree } from '../src/ports.ts';

const ports = { kafkaPort: 29292, controllerPort: 29293, registryPort: 29281 } as const;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ambit-infra-exit-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectExited(options: PlatformOptions, message: RegExp): Promise<void> {
  const start = Date.now();
  const err = await startPlatform({ dataDir: join(work, 'data'), ...ports, ...options }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AmbitError);
  expect((err as AmbitError).code).toBe('INFRA_PROCESS_EXITED');
  expect((err as AmbitError).message).toMatch(message);
  // Well before the 120 s readiness timeout: the exit is noticed, not waited out. (A JVM that
  // dies at start-up can take ~40 s to get there on 2 cores shared with parallel suites.)
  expect(Date.now() - start).toBeLessThan(60_000);
  for (const port of Object.values(ports)) expect(await isPortFree(port)).toBe(true);
  expect(await readdir(join(work, 'data'))).not.toContain('kafka.pid');
}

it('fails when the broker rejects its configuration, with Kafka’s own message', async () => {
  await expectExited(
    { brokerProperties: { 'num.io.threads': 'not-a-number' } },
    /Invalid value not-a-number for configuration num\.io\.threads/,
  );
});

it('fails as soon as the registry process dies, and stops the broker it started', async () => {
  // The registry's HTTP port set to the broker's: Quarkus cannot bind it and exits.
  await expectExited(
    { registryProperties: { 'quarkus.http.port': String(ports.kafkaPort) } },
    /registry \(pid \d+\) exited during start-up[^]*Port 29292 seems to be in use/,
  );
});
