/**
 * `up [--foreground]`, `down`, `status` for the local platform (dev profile).
 * stdout carries only `# ...` comments and `export ...` lines, so
 * `eval "$(pnpm -s infra:up)"` sets KAFKA_BROKERS and SCHEMA_REGISTRY_URL; progress goes to stderr.
 * Errors print `error [CODE]: message` and exit 1; `status` exits 3 when not everything is up.
 */
import { isAmbitError, type Logger } from '@ambit/core';
import { resolveConfig, type PlatformOptions } from './config.ts';
import { ensureKafkaDistribution, ensureRegistryDistribution } from './artifacts.ts';
import type { RunningPlatform } from './platform.ts';
import { startPlatform } from './start-platform.ts';
import { platformStatus } from './status.ts';
import { stopPlatform } from './stop-platform.ts';

const USAGE = 'usage: tsx infra/src/cli.ts up [--foreground] | down | status | fetch';

function stderrLogger(fields: Record<string, unknown> = {}): Logger {
  const emit =
    (level: string) =>
    (msg: string, more?: Record<string, unknown>): void => {
      const kv = Object.entries({ ...fields, ...more })
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      process.stderr.write(`[infra] ${level === 'info' ? '' : `${level}: `}${msg}${kv ? ` ${kv}` : ''}\n`);
    };
  return { debug: () => {}, info: emit('info'), warn: emit('warn'), error: emit('error'), child: (f) => stderrLogger({ ...fields, ...f }) };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const out = (line: string): void => void process.stdout.write(line + '\n');

function printPlatform(p: RunningPlatform): void {
  const k = p.kafka;
  const r = p.registry;
  const pid = (n: number | undefined): string => (n === undefined ? 'pid unknown' : `pid ${n}`);
  out(
    `# kafka     ${k.brokers.join(',')}  cluster ${k.clusterId}  ${pid(k.pid)}  ${k.reused ? 'already running' : `ready in ${secs(k.readyMs)}`}`,
  );
  out(`# registry  ${r.url}  ${pid(r.pid)}  ${r.reused ? 'already running' : `ready in ${secs(r.readyMs)}`}`);
  out(`# data      ${p.dataDir}  (logs: kafka.log, registry.log)`);
  out(`export KAFKA_BROKERS=${k.brokers.join(',')}`);
  out(`export SCHEMA_REGISTRY_URL=${r.url}`);
}

async function up(foreground: boolean, base: PlatformOptions): Promise<number> {
  const platform = await startPlatform({ ...base, profile: 'dev', detached: !foreground });
  printPlatform(platform);
  if (!foreground) return 0;
  out('# running in the foreground: Ctrl-C stops what this command started');
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  const outcome = await Promise.race([signalled, platform.crashed]);
  if (typeof outcome !== 'string') {
    process.stderr.write(`error [${outcome.code}]: ${outcome.message}\n`);
  } else {
    base.logger?.info(`${outcome}: stopping`);
  }
  await platform.stop();
  return typeof outcome === 'string' ? 0 : 1;
}

async function down(base: PlatformOptions): Promise<number> {
  for (const r of await stopPlatform(base)) {
    const how = r.outcome === 'not-running' ? 'was not running' : r.outcome === 'killed' ? 'killed (did not stop on SIGTERM)' : 'stopped';
    out(`# ${r.component.padEnd(9)} ${how}${r.outcome === 'not-running' ? '' : ` (pid ${r.pid}, ${secs(r.ms)})`}`);
  }
  return 0;
}

async function status(base: PlatformOptions): Promise<number> {
  const s = await platformStatus(base);
  const pid = (n: number | undefined): string => (n === undefined ? 'no live pid file' : `pid ${n}`);
  out(`# data      ${s.dataDir}  cluster ${s.clusterId ?? '(none yet)'}`);
  const kafkaState = s.kafka.foreignClusterId
    ? `port taken by a broker of another cluster (${s.kafka.foreignClusterId})`
    : s.kafka.ready
      ? 'ready'
      : 'not answering';
  out(`# kafka     ${s.kafka.address}  ${kafkaState}  ${pid(s.kafka.pid)}`);
  out(`# registry  ${s.registry.address}  ${s.registry.ready ? 'ready' : 'not answering'}  ${pid(s.registry.pid)}`);
  if (s.kafka.ready && s.registry.ready) {
    out(`export KAFKA_BROKERS=${s.kafka.address}`);
    out(`export SCHEMA_REGISTRY_URL=${s.registry.address}`);
    return 0;
  }
  return 3;
}

/** Resolves the Maven artifacts into the cache without starting anything (CI warms the cache with it). */
async function fetchArtifacts(base: PlatformOptions): Promise<number> {
  const cfg = resolveConfig({ ...base, profile: 'dev' });
  const kafka = await ensureKafkaDistribution(cfg);
  const registry = await ensureRegistryDistribution(cfg);
  out(`# kafka     ${JSON.stringify(kafka)}`);
  out(`# registry  ${JSON.stringify(registry)}`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest);
  const unknown = rest.filter((a) => a !== '--foreground' || command !== 'up');
  if (unknown.length > 0 || command === undefined) {
    process.stderr.write(`${unknown.length > 0 ? `unknown argument ${unknown[0]}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const base: PlatformOptions = { logger: stderrLogger() };
  switch (command) {
    case 'up':
      return up(flags.has('--foreground'), base);
    case 'down':
      return down(base);
    case 'status':
      return status(base);
    case 'fetch':
      return fetchArtifacts(base);
    default:
      process.stderr.write(`unknown command ${command}\n${USAGE}\n`);
      return 2;
  }
}

// Exit explicitly (Kafka client handles may linger), but only once stdout is flushed:
// pipes are asynchronous on some platforms.
const exit = (code: number): void => void process.stdout.write('', () => process.exit(code));

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  if (isAmbitError(e)) process.stderr.write(`error [${e.code}]: ${e.message}\n`);
  else process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  exit(1);
});
