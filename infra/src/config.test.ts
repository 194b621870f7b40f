import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { repoRoot, resolveConfig } from './config.ts';

describe('resolveConfig', () => {
  it('defaults the dev profile to the standard ports and <repo>/.ambit', () => {
    const c = resolveConfig({ env: {} });
    expect(c).toMatchObject({ profile: 'dev', kafkaPort: 9092, controllerPort: 9093, registryPort: 8081, ephemeral: false });
    expect(c.dataDir).toBe(join(repoRoot, '.ambit', 'data'));
    expect(c.cacheDir).toBe(join(repoRoot, '.ambit', 'cache'));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.maven)).toBe(true);
  });

  it('finds the repo root from its own location', () => {
    expect(resolveConfig({ env: {} }).infraDir).toBe(join(repoRoot, 'infra') + '/');
  });

  it('takes ports and directories from the environment', () => {
    const c = resolveConfig({
      env: {
        AMBIT_KAFKA_PORT: '19000',
        AMBIT_KAFKA_CONTROLLER_PORT: '19001',
        AMBIT_REGISTRY_PORT: '19002',
        AMBIT_DATA_DIR: '/d',
        AMBIT_CACHE_DIR: '/c',
      },
    });
    expect(c).toMatchObject({ kafkaPort: 19000, controllerPort: 19001, registryPort: 19002, dataDir: '/d', cacheDir: '/c' });
  });

  it('lets explicit options win over the environment', () => {
    const c = resolveConfig({ kafkaPort: 20000, dataDir: '/x', env: { AMBIT_KAFKA_PORT: '19000', AMBIT_DATA_DIR: '/d' } });
    expect(c.kafkaPort).toBe(20000);
    expect(c.dataDir).toBe('/x');
  });

  it('gives the test profile its own ports, env names and a fresh dir under the data root', () => {
    const env = { AMBIT_KAFKA_PORT: '9999', AMBIT_TEST_REGISTRY_PORT: '48081', AMBIT_DATA_DIR: '/d' };
    const a = resolveConfig({ profile: 'test', env });
    const b = resolveConfig({ profile: 'test', env });
    expect(a).toMatchObject({ kafkaPort: 39092, controllerPort: 39093, registryPort: 48081, ephemeral: true, dataRoot: '/d' });
    expect(a.dataDir).toMatch(/^\/d\/test-[0-9a-f]{8}$/);
    expect(a.dataDir).not.toBe(b.dataDir);
  });

  it('reads the Maven switches', () => {
    const c = resolveConfig({ env: { AMBIT_MAVEN_OFFLINE: '1', AMBIT_MAVEN_REPO_LOCAL: '/repo', AMBIT_MAVEN_OPTS: ' -U  -Dfoo=bar ' } });
    expect(c.maven).toEqual({ offline: true, repoLocal: '/repo', extraArgs: ['-U', '-Dfoo=bar'] });
    expect(resolveConfig({ env: { AMBIT_MAVEN_OFFLINE: '0' } }).maven.offline).toBe(false);
  });

  it.each([
    [{ AMBIT_KAFKA_PORT: 'abc' }, /AMBIT_KAFKA_PORT must be a port/],
    [{ AMBIT_REGISTRY_PORT: '70000' }, /AMBIT_REGISTRY_PORT must be a port/],
    [{ AMBIT_KAFKA_PORT: '9093' }, /must all differ/],
  ])('rejects %o', (env, message) => {
    let err: unknown;
    try {
      resolveConfig({ env });
    } catch (e) {
      err = e;
    }
    expect(isAmbitError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});
