import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { DEFAULTS, parseHostConfig } from './config.ts';

const base = { AMBIT_INSTANCE_ID: 'host-1' };
const parse = (argv: string[], env: Record<string, string | undefined> = base) => parseHostConfig(argv, env, '/srv/app');

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isAmbitError(e, 'CONFIG_INVALID')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('parseHostConfig', () => {
  it('health endpoints are off unless AMBIT_HEALTH_PORT is set; runtime limits come from the environment', () => {
    expect(parse(['--module', 'a.ts']).health).toBeUndefined();
    const c = parse(['--module', 'a.ts'], {
      ...base,
      AMBIT_HEALTH_PORT: '0',
      AMBIT_MAX_EVENT_LOOP_LAG_MS: '800',
      AMBIT_HANDLER_TIMEOUT_MS: '2000',
      AMBIT_HANDLER_ATTEMPTS: '2',
      AMBIT_MAX_CRASH_ATTEMPTS: '4',
      AMBIT_FORCED_RESTORE: '0.25',
      AMBIT_MAX_IN_FLIGHT: '64',
      AMBIT_MAX_DISTANCE: '500',
    });
    expect(c.health).toEqual({ host: '0.0.0.0', port: 0, maxEventLoopLagMs: 800 });
    expect(c.runtime).toMatchObject({
      handlerTimeoutMs: 2000,
      handlerAttempts: 2,
      maxCrashAttempts: 4,
      forcedRestoreProbability: 0.25,
      maxInFlight: 64,
      maxDistance: 500,
    });
    expect(Object.isFrozen(c.health)).toBe(true);
  });

  it('rejects a bad health port or forced-restore probability, naming the variable', () => {
    expect(configError(() => parse(['--module', 'a.ts'], { ...base, AMBIT_HEALTH_PORT: '70000' }))).toBe(
      'AMBIT_HEALTH_PORT must be a TCP port 0-65535 (got "70000")',
    );
    expect(configError(() => parse(['--module', 'a.ts'], { ...base, AMBIT_FORCED_RESTORE: '2' }))).toBe(
      'AMBIT_FORCED_RESTORE must be a probability between 0 and 1 (got "2")',
    );
    expect(configError(() => parse(['--module', 'a.ts'], { ...base, AMBIT_HANDLER_ATTEMPTS: 'x' }))).toBe(
      'AMBIT_HANDLER_ATTEMPTS must be a positive integer (got "x")',
    );
  });

  it('defaults to the local platform and a state dir per instance', () => {
    const c = parse(['--module', './agent.ts']);
    expect(c).toMatchObject({ module: './agent.ts', exportName: undefined, diagnostics: 'off', logLevel: 'info', help: false });
    expect(c.runtime).toEqual({
      brokers: ['127.0.0.1:9092'],
      registryUrl: DEFAULTS.registryUrl,
      namespace: 'dev',
      instanceId: 'host-1',
      stateDir: '/srv/app/.ambit/state/host-1',
      stateReset: false,
      registerSchemas: false,
      faultPauseBeforeCommit: false,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.runtime)).toBe(true);
  });

  it('reads every variable', () => {
    const c = parse(['--module=@acme/agents', '--agent', 'triage'], {
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      SCHEMA_REGISTRY_URL: 'http://reg:8081',
      AMBIT_NAMESPACE: 'staging',
      AMBIT_INSTANCE_ID: 'triage-0',
      AMBIT_STATE_DIR: '/var/lib/ambit',
      AMBIT_COMMIT_INTERVAL_MS: '250',
      AMBIT_SESSION_TIMEOUT_MS: '6000',
      AMBIT_TRANSACTION_TIMEOUT_MS: '10000',
      AMBIT_STATE_RESET: '1',
      AMBIT_REGISTER_SCHEMAS: 'true',
      AMBIT_FAULT_PAUSE_BEFORE_COMMIT: '1',
      AMBIT_DIAGNOSTICS: 'stdout',
      AMBIT_LOG_LEVEL: 'warn',
      AMBIT_STOP_TIMEOUT_MS: '5000',
    });
    expect(c).toMatchObject({ module: '@acme/agents', exportName: 'triage', diagnostics: 'stdout', logLevel: 'warn', stopTimeoutMs: 5000 });
    expect(c.runtime).toEqual({
      brokers: ['k1:9092', 'k2:9093'],
      registryUrl: 'http://reg:8081',
      namespace: 'staging',
      instanceId: 'triage-0',
      stateDir: '/var/lib/ambit',
      commitIntervalMs: 250,
      sessionTimeoutMs: 6000,
      transactionTimeoutMs: 10000,
      stateReset: true,
      registerSchemas: true,
      faultPauseBeforeCommit: true,
    });
  });

  it('resolves a relative state dir against the working directory', () => {
    expect(parse(['--module', 'a.ts'], { ...base, AMBIT_STATE_DIR: 'data/s1' }).runtime.stateDir).toBe('/srv/app/data/s1');
  });

  it('treats empty variables as unset', () => {
    expect(parse(['--module', 'a.ts'], { ...base, AMBIT_COMMIT_INTERVAL_MS: ' ', AMBIT_STATE_RESET: '' }).runtime).not.toHaveProperty(
      'commitIntervalMs',
    );
  });

  it('needs --module and AMBIT_INSTANCE_ID', () => {
    expect(configError(() => parse([]))).toMatch(/--module/);
    expect(configError(() => parse(['--module', 'a.ts'], {}))).toMatch(/AMBIT_INSTANCE_ID is required/);
  });

  it('rejects unknown flags, positionals and bad export names', () => {
    expect(configError(() => parse(['--module', 'a.ts', '--verbose']))).toMatch(/--verbose/);
    expect(configError(() => parse(['--module', 'a.ts', 'extra']))).toMatch(/extra/);
    expect(configError(() => parse(['--module', 'a.ts', '--agent', 'not-an-identifier']))).toMatch(/--agent/);
  });

  it('names the variable at fault', () => {
    const bad = (env: Record<string, string>) => configError(() => parse(['--module', 'a.ts'], { ...base, ...env }));
    expect(bad({ AMBIT_COMMIT_INTERVAL_MS: '100ms' })).toMatch(/^AMBIT_COMMIT_INTERVAL_MS must be a positive integer/);
    expect(bad({ AMBIT_SESSION_TIMEOUT_MS: '0' })).toMatch(/^AMBIT_SESSION_TIMEOUT_MS/);
    expect(bad({ AMBIT_TRANSACTION_TIMEOUT_MS: '-5' })).toMatch(/^AMBIT_TRANSACTION_TIMEOUT_MS/);
    expect(bad({ AMBIT_STATE_RESET: 'yes' })).toMatch(/^AMBIT_STATE_RESET must be 1\/true or 0\/false/);
    expect(bad({ AMBIT_DIAGNOSTICS: 'stderr' })).toMatch(/^AMBIT_DIAGNOSTICS/);
    expect(bad({ AMBIT_LOG_LEVEL: 'trace' })).toMatch(/^AMBIT_LOG_LEVEL/);
    expect(bad({ KAFKA_BROKERS: 'localhost' })).toMatch(/^KAFKA_BROKERS: invalid broker address/);
  });

  it('--help needs nothing else', () => {
    expect(parse(['--help'], {}).help).toBe(true);
  });
});
