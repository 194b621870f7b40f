import { describe, expect, it } from 'vitest';
import { run } from './cli.ts';
import { EXIT, type Command, type CommandIo } from './command.ts';
import { DEFAULTS, resolveConfig } from './config.ts';

function io(env: Record<string, string> = {}): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

/** A command that records its flags instead of touching Kafka. */
const probe = (seen: unknown[]): Command => ({
  path: ['topics', 'apply'],
  summary: 'probe',
  help: ['--namespace <ns>'],
  options: { namespace: { type: 'string' }, 'no-register': { type: 'boolean' } },
  run: async (flags) => {
    seen.push(flags);
    return EXIT.OK;
  },
});

describe('ambit dispatch', () => {
  it('passes parsed flags to the selected command', async () => {
    const seen: unknown[] = [];
    const code = await run(['topics', 'apply', '--namespace', 'x', '--no-register'], io(), [probe(seen)]);
    expect(code).toBe(0);
    expect(seen).toEqual([{ namespace: 'x', 'no-register': true }]);
  });

  it('prints usage and exits 1 on unknown flags, stray arguments and unknown commands', async () => {
    for (const argv of [
      ['topics', 'apply', '--partitions', '3'],
      ['topics', 'apply', '--namespace'],
      ['topics', 'apply', '--namespace', 'x', 'extra'],
      ['topics', 'drop'],
      [],
    ]) {
      const out = io();
      expect(await run(argv, out, [probe([])]), argv.join(' ')).toBe(EXIT.ERROR);
      expect(out.stderr.join('\n'), argv.join(' ')).toContain('usage: ambit');
    }
  });

  it('prints help on --help and exits 0', async () => {
    const out = io();
    expect(await run(['topics', 'apply', '--help'], out)).toBe(0);
    expect(out.stdout.join('\n')).toContain('--no-register');
    const top = io();
    expect(await run(['--help'], top)).toBe(0);
    expect(top.stdout.join('\n')).toMatch(/topics apply[\s\S]*topics list/);
  });

  it('reports bad flag values as usage errors before connecting', async () => {
    const out = io();
    expect(await run(['topics', 'apply', '--brokers', 'nohostport'], out)).toBe(EXIT.ERROR);
    expect(out.stderr[0]).toContain('--brokers: invalid broker address "nohostport"');
  });

  it('reports configuration errors with their code', async () => {
    const out = io();
    expect(await run(['topics', 'apply', '--env', 'staging', '--brokers', '127.0.0.1:1'], out)).toBe(EXIT.ERROR);
    expect(out.stderr[0]).toMatch(/^error \[CONFIG_INVALID\]: .*no environment "staging"/);
  });
});

describe('resolveConfig', () => {
  it('defaults, then environment variables, then flags', () => {
    expect(resolveConfig({}, {})).toEqual({
      namespace: 'dev',
      env: 'local',
      brokers: [DEFAULTS.brokers],
      registryUrl: DEFAULTS.registryUrl,
    });
    const env = { KAFKA_BROKERS: 'a:1,b:2', SCHEMA_REGISTRY_URL: 'http://r:1', AMBIT_NAMESPACE: 'stage', AMBIT_ENV: 'production' };
    expect(resolveConfig({}, env)).toEqual({ namespace: 'stage', env: 'production', brokers: ['a:1', 'b:2'], registryUrl: 'http://r:1' });
    expect(resolveConfig({ namespace: 'n', brokers: 'c:3' }, env)).toMatchObject({ namespace: 'n', brokers: ['c:3'] });
    expect(Object.isFrozen(resolveConfig({}, {}))).toBe(true);
  });

  it('rejects a registry that is not a URL', () => {
    expect(() => resolveConfig({ registry: 'localhost:8081' }, {})).toThrow(/--registry/);
  });
});
