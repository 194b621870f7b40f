/**
 * The host's health endpoints on a real start: /health/ready answers 503 naming the
 * restoring tasks while the store is rebuilt from its changelog, then 200 once every task
 * runs; /health/live answers 200 throughout.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdmin, createProducer } from '@ambit/kafka';
import {
  CHANNELS,
  freePort,
  killAllHosts,
  spawnHost,
  testClientProfile,
  testPlatform,
  uniqueName,
  type DiagnosticEvent,
} from '@ambit/testing';
import { setUpNamespace } from '../../../examples/moderation/test/support.ts';

const platform = testPlatform();
afterAll(() => killAllHosts());

const KEYS = 120_000;
const PARTITIONS = 6;

describe('agent-host health endpoints', () => {
  it('readiness is false while the tasks restore and true after; liveness holds throughout', { timeout: 180_000 }, async () => {
    const ns = uniqueName('health');
    await setUpNamespace(platform, ns);
    // A changelog with many keys, so the restore takes a while.
    const changelog = `${ns}.moderator.trends.changelog`;
    const admin = await createAdmin({ brokers: platform.brokers });
    try {
      await admin.createTopics([
        { name: changelog, partitions: PARTITIONS, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
      ]);
    } finally {
      await admin.close();
    }
    const producer = await createProducer({ brokers: platform.brokers });
    try {
      const value = Buffer.from(JSON.stringify({ count: 1, flagged: 0, lastContentId: 'c', chain: '811c9dc5' }));
      for (let from = 0; from < KEYS; from += 20_000) {
        await producer.send(Array.from({ length: 20_000 }, (_, i) => ({ topic: changelog, key: `t0:seed${from + i}`, value })));
      }
    } finally {
      await producer.close();
    }

    const port = await freePort();
    const host = spawnHost({
      name: 'health',
      args: ['--module', 'examples/moderation/src/agent.ts'],
      env: {
        KAFKA_BROKERS: platform.brokers.join(','),
        SCHEMA_REGISTRY_URL: platform.registryUrl,
        AMBIT_NAMESPACE: ns,
        AMBIT_INSTANCE_ID: 'health',
        AMBIT_STATE_DIR: join(mkdtempSync(join(tmpdir(), 'ambit-health-')), 'h'),
        AMBIT_SESSION_TIMEOUT_MS: String(testClientProfile.sessionTimeoutMs),
        AMBIT_HEALTH_PORT: String(port),
        AMBIT_HEALTH_HOST: '127.0.0.1',
        AMBIT_LOG_LEVEL: 'warn',
      },
    });
    let restored = 0;
    host.events.on('diagnostic', (e: DiagnosticEvent) => {
      if (e.ch === CHANNELS.restore && e['event'] === 'done') restored += Number(e['records']);
    });
    const seen: Array<{ ready: number; live: number; reasons: string[] }> = [];
    let restoredWhenReady = -1;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (host.exited) throw new Error(`host exited: ${host.stderrTail(20)}`);
      if (Date.now() > deadline) throw new Error(`never ready: ${JSON.stringify(seen.slice(-3))}`);
      try {
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = (await ready.json()) as { reasons: string[] };
        const live = await fetch(`http://127.0.0.1:${port}/health/live`);
        seen.push({ ready: ready.status, live: live.status, reasons: body.reasons });
        if (ready.status === 200) {
          restoredWhenReady = restored;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const restoring = seen.filter((s) => s.ready === 503 && s.reasons.some((r) => r.includes('RESTORING')));
    expect(restoring.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.live === 200)).toBe(true);
    expect(seen.at(-1)).toEqual({ ready: 200, live: 200, reasons: [] });
    // Ready means restored: by the first 200 the host had reported every seeded key restored.
    expect(restoredWhenReady).toBe(KEYS);
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { status: { tasks: Array<{ state: string }> } };
    expect(status.status.tasks.map((t) => t.state)).toEqual(Array(PARTITIONS).fill('RUNNING'));
    await host.stop(30_000);
  });
});
