/** The host as a process: exit codes and the error line, through the e2e harness. */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllHosts, spawnHost, testPlatform, uniqueName } from '@ambit/testing';

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
