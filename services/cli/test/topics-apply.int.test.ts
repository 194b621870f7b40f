/**
 * `ambit topics apply` end to end: the real CLI process against the real broker and
 * registry, in a namespace of its own.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlatform, uniqueName } from '@ambit/testing';
import { createAdmin, type KafkaAdmin } from '@ambit/kafka';
import { loadTopics } from '@ambit/schemas';
import type { ApplyReport } from '../src/index.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function ambit(...args: string[]): Promise<Run> {
  const { brokers, registryUrl } = testPlatform();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'services/cli/src/main.ts', ...args, '--brokers', brokers.join(','), '--registry', registryUrl],
      { cwd: REPO, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function registry<T>(path: string, method = 'GET'): Promise<{ status: number; body: T }> {
  const res = await fetch(testPlatform().registryUrl.replace(/\/$/, '') + path, { method });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('ambit topics apply', () => {
  const ns = uniqueName('cli');
  const declared = loadTopics({ namespace: ns, env: 'local' });
  const subjects = declared.flatMap((t) => (t.valueSubject ? [t.valueSubject] : []));
  let admin: KafkaAdmin;
  let firstIds: Map<string, number>;

  beforeAll(async () => {
    admin = await createAdmin({ brokers: testPlatform().brokers });
  });

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((n) => n.startsWith(`${ns}.`));
    if (mine.length > 0) await admin.deleteTopics(mine);
    await admin.close();
    for (const s of subjects) {
      await registry(`/subjects/${encodeURIComponent(s)}`, 'DELETE');
      await registry(`/subjects/${encodeURIComponent(s)}?permanent=true`, 'DELETE');
    }
  });

  it('first run creates every declared topic and registers every value subject', async () => {
    const run = await ambit('topics', 'apply', '--namespace', ns, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ApplyReport;
    expect(report.created.sort()).toEqual(declared.map((t) => t.name).sort());
    expect(report.drift).toEqual([]);
    expect(report.schemas.map((s) => [s.subject, s.status])).toEqual(subjects.map((s) => [s, 'registered']));
    firstIds = new Map(report.schemas.map((s) => [s.subject, s.id]));

    // What the broker and the registry say, not what the CLI says.
    const onBroker = (await admin.listTopics()).filter((n) => n.startsWith(`${ns}.`));
    expect(onBroker.sort()).toEqual(declared.map((t) => t.name).sort());
    const described = await eventually(() =>
      admin.describeTopics(
        declared.map((t) => t.name),
        ['cleanup.policy', 'min.insync.replicas'],
      ),
    );
    for (const d of described) {
      const want = declared.find((t) => t.name === d.name)!;
      expect([d.name, d.partitions, d.replicationFactor, d.configs['cleanup.policy']]).toEqual([
        want.name,
        want.partitions,
        1,
        want.cleanupPolicy,
      ]);
      expect(d.configs['min.insync.replicas']).toBe('1');
    }
    const registered = (await registry<string[]>('/subjects')).body.filter((s) => s.startsWith(`${ns}.`));
    expect(registered.sort()).toEqual([...subjects].sort());
    for (const s of subjects) {
      const cfg = await registry<{ compatibilityLevel: string }>(`/config/${encodeURIComponent(s)}`);
      expect(cfg.body.compatibilityLevel, s).toBe('BACKWARD_TRANSITIVE');
    }
  });

  it('second run changes nothing: no topic created, no new schema version, same ids', async () => {
    const run = await ambit('topics', 'apply', '--namespace', ns);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `summary: 0 created, ${declared.length} unchanged, 0 drifted; 0 schemas registered, ${subjects.length} already registered`,
    );
    for (const s of subjects) {
      expect(run.stdout).toContain(`exists     ${s}  id=${firstIds.get(s)}`);
      const versions = await registry<number[]>(`/subjects/${encodeURIComponent(s)}/versions`);
      expect(versions.body, s).toEqual([1]);
    }
  });

  it('drift (a topic recreated with other partitions and cleanup policy) exits 2 naming topic and field', async () => {
    const victim = `${ns}.actions`;
    await admin.deleteTopics([victim]);
    await eventually(async () => expect(await admin.listTopics()).not.toContain(victim));
    await eventually(async () => {
      await admin.createTopics([{ name: victim, partitions: 2, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }]);
      const [d] = await admin.describeTopics([victim], ['cleanup.policy']);
      expect(d?.partitions).toBe(2);
    });

    const run = await ambit('topics', 'apply', '--namespace', ns, '--no-register');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${victim}: partitions is 2, declared 6`);
    expect(run.stderr).toContain(`${victim}: cleanup.policy is compact, declared delete`);
    expect(run.stdout).toContain(`summary: 0 created, ${declared.length - 1} unchanged, 1 drifted`);
    // Reported, not fixed.
    const [after] = await admin.describeTopics([victim]);
    expect(after?.partitions).toBe(2);

    const list = await ambit('topics', 'list', '--namespace', ns, '--json');
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { topic: string; state: string }[];
    expect(rows.find((r) => r.topic === victim)?.state).toBe('drift');
    expect(rows.filter((r) => r.state === 'ok')).toHaveLength(declared.length - 1);
  });
});
