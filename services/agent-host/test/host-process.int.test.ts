/** The host as a process: exit codes and the error line, through the e2e harness. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdmin, createProducer } from '@ambit/kafka';
import { killAllHosts, spawnHost, testPlatform, uniqueName } from '@ambit/testing';
import { contentSerde, makeSubmission, setUpNamespace } from '../../../examples/moderation/test/support.ts';

const { brokers, registryUrl } = testPlatform();
const env = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, AMBIT_NAMESPACE: uniqueName('host') };

afterAll(() => killAllHosts());

describe('agent-host process', () => {
  it('exits 2 within seconds when the agent module does not exist', async () => {
    const started = Date.now();
    const host = spawnHost({ name: 'missing-module', env, args: ['--module', 'examples/none/src/agent.ts'] });
    expect(await host.waitExit(10_000)).toEqual({ code: 2, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(host.stderrTail()).toContain('error [CONFIG_INVALID]: cannot load agent module examples/none/src/agent.ts: no such file');
  });

  it('exits 2 within seconds on bad configuration, naming the variable', async () => {
    const started = Date.now();
    const host = spawnHost({
      name: 'bad-config',
      env: { ...env, AMBIT_INSTANCE_ID: 'bc', AMBIT_COMMIT_INTERVAL_MS: 'soon', AMBIT_HEALTH_PORT: '8080' },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    expect(await host.waitExit(30_000)).toEqual({ code: 2, signal: null });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(host.stderrTail()).toContain('error [CONFIG_INVALID]: AMBIT_COMMIT_INTERVAL_MS must be a positive integer (got "soon")');
  });

  it('exits 2 when a runtime rule across settings fails, saying why', async () => {
    const host = spawnHost({
      name: 'bad-runtime-config',
      env: { ...env, AMBIT_INSTANCE_ID: 'brc', AMBIT_COMMIT_INTERVAL_MS: '20000', AMBIT_TRANSACTION_TIMEOUT_MS: '10000' },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    expect((await host.waitExit(30_000)).code).toBe(2);
    expect(host.stderrTail()).toContain('commitIntervalMs must be below transactionTimeoutMs');
  });

  it('exits 2 when the export is not an agent', async () => {
    const host = spawnHost({ name: 'bad-export', env, args: ['--module', 'examples/moderation/src/agent.ts', '--agent', 'fold'] });
    expect((await host.waitExit(10_000)).code).toBe(2);
    expect(host.stderrTail()).toMatch(/error \[CONFIG_INVALID\]: cannot load agent module .*: export "fold" is not an agent/);
  });

  it('exits 1 with the runtime error code when the input topics are missing', async () => {
    const host = spawnHost({ name: 'no-topics', env, args: ['--module', 'examples/moderation/src/agent.ts'] });
    expect((await host.waitExit(30_000)).code).toBe(1);
    expect(host.stderrTail()).toMatch(/^error \[[A-Z_]+\]: /m);
  });
});

describe('agent-host start-up failures and instance ids', () => {
  it('exits non-zero within 30 s when no broker is reachable', async () => {
    const started = Date.now();
    const host = spawnHost({
      name: 'no-broker',
      env: { ...env, KAFKA_BROKERS: '127.0.0.1:1', AMBIT_INSTANCE_ID: 'nb' },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    const exit = await host.waitExit(30_000);
    expect(exit.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(host.stderrTail()).toMatch(/^error \[KAFKA_BROKER_UNAVAILABLE\]: .*127\.0\.0\.1:1/m);
  });

  it('exits non-zero within 30 s on a co-partitioning mismatch, naming the topics', async () => {
    const ns = uniqueName('copart');
    const admin = await createAdmin({ brokers });
    try {
      await admin.createTopics([
        { name: `${ns}.content.submitted`, partitions: 6, replicationFactor: 1, configs: {} },
        { name: `${ns}.decisions`, partitions: 6, replicationFactor: 1, configs: {} },
        { name: `${ns}.effects.requested`, partitions: 6, replicationFactor: 1, configs: {} },
        { name: `${ns}.moderator.trends.changelog`, partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
      ]);
    } finally {
      await admin.close();
    }
    const started = Date.now();
    const host = spawnHost({
      name: 'copart',
      env: { ...env, AMBIT_NAMESPACE: ns, AMBIT_INSTANCE_ID: 'cp' },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    const exit = await host.waitExit(30_000);
    expect(exit.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(host.stderrTail()).toContain(`co-partitioning mismatch: ${ns}.moderator.trends.changelog has 3 partitions`);
  });

  it('two live processes with one instance id: the fencing loop is detected and named', { timeout: 120_000 }, async () => {
    const ns = uniqueName('dup');
    await setUpNamespace(testPlatform(), ns);
    const hostEnv = { ...env, AMBIT_NAMESPACE: ns, AMBIT_INSTANCE_ID: 'same', AMBIT_TRANSACTION_TIMEOUT_MS: '10000' };
    const a = spawnHost({
      name: 'dup-a',
      env: { ...hostEnv, AMBIT_STATE_DIR: mkdtempSync(join(tmpdir(), 'ambit-dup-a-')) },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    await a.waitFor((e) => e.ch === 'ambit:runtime:task' && e.state === 'RUNNING', 60_000);
    const b = spawnHost({
      name: 'dup-b',
      env: { ...hostEnv, AMBIT_STATE_DIR: mkdtempSync(join(tmpdir(), 'ambit-dup-b-')) },
      args: ['--module', 'examples/moderation/src/agent.ts'],
    });
    const serde = contentSerde(testPlatform(), ns);
    const producer = await createProducer({ brokers });
    let i = 0;
    const feeding = setInterval(() => {
      const key = `t0:u${i % 50}`;
      void serde
        .serialize(makeSubmission(i++, key))
        .then((value) => producer.send([{ topic: `${ns}.content.submitted`, key, value }]))
        .catch(() => undefined);
    }, 20);
    try {
      const first = await Promise.race([a.stopped.then(() => a), b.stopped.then(() => b)]);
      expect(first.exited?.code).not.toBe(0);
      expect(first.stderrTail()).toMatch(/error \[CONFIG_INVALID\]: .*another live process uses instance id "same"/);
    } finally {
      clearInterval(feeding);
      await producer.close();
    }
  });
});
