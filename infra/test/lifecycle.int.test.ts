/**
 * The launcher end to end through its CLI: up (detached), a second platform of another
 * cluster on the same ports is refused, status, down, then a foreground start reuses the
 * cache and the data (same cluster id, the topic is still there) and stops on SIGTERM.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '@ambit/kafka';
import { isAmbitError } from '@ambit/core';
import { startPlatform } from '../src/index.ts';
import { isAlive, readPidFile } from '../src/processes.ts';
import { isPortFree } from '../src/ports.ts';
import { cliEnv, clusterIdFrom, runCli, spawnCli } from './cli-runner.ts';

const PORTS = { AMBIT_KAFKA_PORT: '29092', AMBIT_KAFKA_CONTROLLER_PORT: '29093', AMBIT_REGISTRY_PORT: '29081' };
const BROKERS = ['127.0.0.1:29092'];
const REGISTRY = 'http://127.0.0.1:29081/apis/ccompat/v7';
const TOPIC = 'ambit-infra-survives-restart';

let work: string;
let envA: Record<string, string | undefined>;
let envB: Record<string, string | undefined>;

async function pids(dataDir: string): Promise<number[]> {
  const recs = await Promise.all([readPidFile(join(dataDir, 'kafka.pid')), readPidFile(join(dataDir, 'registry.pid'))]);
  return recs.filter((r) => r !== undefined).map((r) => r.pid);
}

async function withAdmin<T>(fn: (admin: Awaited<ReturnType<typeof createAdmin>>) => Promise<T>): Promise<T> {
  const admin = await createAdmin({ brokers: BROKERS });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ambit-infra-life-'));
  envA = cliEnv({ ...PORTS, AMBIT_DATA_DIR: join(work, 'a') });
  envB = cliEnv({ ...PORTS, AMBIT_DATA_DIR: join(work, 'b') });
});

afterAll(async () => {
  // Whatever happened above, leave no JVM behind.
  await runCli(['down'], envA);
  await runCli(['down'], envB);
  await rm(work, { recursive: true, force: true });
});

describe('platform lifecycle through the CLI', () => {
  let clusterId: string;

  it('up starts Kafka and the registry detached, prints the exports and exits 0', async () => {
    const r = await runCli(['up'], envA);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('export KAFKA_BROKERS=127.0.0.1:29092\n');
    expect(r.stdout).toContain(`export SCHEMA_REGISTRY_URL=${REGISTRY}\n`);
    clusterId = clusterIdFrom(r.stdout)!;
    expect((await readFile(join(work, 'a', 'cluster.id'), 'utf8')).trim()).toBe(clusterId);
    expect(await pids(join(work, 'a'))).toHaveLength(2);

    await withAdmin(async (admin) => {
      expect((await admin.describeCluster()).clusterId).toBe(clusterId);
      await admin.createTopics([{ name: TOPIC, partitions: 1, replicationFactor: 1, configs: {} }]);
    });
    const config = await fetch(`${REGISTRY}/config`).then((res) => res.json());
    expect(config).toEqual({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
  });

  it('refuses to start a platform of another cluster on the same ports, naming both cluster ids', async () => {
    const r = await runCli(['up'], envB);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(30_000);
    const other = (await readFile(join(work, 'b', 'cluster.id'), 'utf8')).trim();
    expect(other).not.toBe(clusterId);
    expect(r.stderr).toContain('error [INFRA_CLUSTER_MISMATCH]');
    expect(r.stderr).toContain(clusterId);
    expect(r.stderr).toContain(other);
    // The library says the same, with the code.
    const err = await startPlatform({ dataDir: join(work, 'b'), kafkaPort: 29092, controllerPort: 29093, registryPort: 29081 }).catch(
      (e: unknown) => e,
    );
    expect(isAmbitError(err, 'INFRA_CLUSTER_MISMATCH')).toBe(true);
  });

  it('up again reuses the running platform; status reports it', async () => {
    const again = await runCli(['up'], envA);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already running/);
    expect(clusterIdFrom(again.stdout)).toBe(clusterId);

    const st = await runCli(['status'], envA);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/# kafka\s+127\.0\.0\.1:29092\s+ready\s+pid \d+/);
    expect(st.stdout).toMatch(/# registry\s+http:\/\/127\.0\.0\.1:29081\/apis\/ccompat\/v7\s+ready\s+pid \d+/);
  });

  it('down stops both processes and frees the ports', async () => {
    const before = await pids(join(work, 'a'));
    const r = await runCli(['down'], envA);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# registry\s+stopped/);
    expect(r.stdout).toMatch(/# kafka\s+stopped/);
    for (const pid of before) expect(isAlive(pid)).toBe(false);
    expect(await pids(join(work, 'a'))).toEqual([]);
    for (const port of [29092, 29093, 29081]) expect(await isPortFree(port)).toBe(true);
    expect((await runCli(['status'], envA)).code).toBe(3);
  });

  it('a foreground start reuses cache and data, and stops cleanly on SIGTERM', async () => {
    const child = spawnCli(['up', '--foreground'], envA);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (b: Buffer) => {
          stdout += b.toString();
          if (stdout.includes('export SCHEMA_REGISTRY_URL=')) resolve();
        });
        void exited.then((code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
      });
      // Cache reused: no Maven run.
      expect(stderr).not.toMatch(/resolving with Maven/);
      expect(clusterIdFrom(stdout)).toBe(clusterId);
      expect(await withAdmin((admin) => admin.listTopics())).toContain(TOPIC);
      const running = await pids(join(work, 'a'));
      expect(running).toHaveLength(2);

      const stopStart = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stopStart).toBeLessThan(30_000);
      for (const pid of running) expect(isAlive(pid)).toBe(false);
      expect(await pids(join(work, 'a'))).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
