/**
 * `pnpm platform`: the local platform with the demo agent, in the foreground.
 *   1. Kafka + schema registry (the launcher, dev profile; reused when already running);
 *   2. `ambit topics apply` for the namespace (topics + schemas, idempotent);
 *   3. one agent host running the demo content-moderation agent (examples/moderation);
 *   4. a demo feed publishing sample submissions (`--no-feed` to leave it out).
 * Ctrl-C stops the feed and the host (which commits and leaves its group), then the platform.
 * Other processes are spawned, not imported: services never import each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isAmbitError } from '@ambit/core';
import { repoRoot } from './config.ts';
import { startPlatform } from './start-platform.ts';

const { values } = parseArgs({
  options: { namespace: { type: 'string', default: 'dev' }, 'no-feed': { type: 'boolean', default: false } },
});
const namespace = values.namespace!;
const say = (line: string): void => void process.stdout.write(line + '\n');
const children = new Set<ChildProcess>();
// If this script dies, its children must not outlive it.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function run(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // Own process group: a terminal's Ctrl-C reaches only this script, which stops the children in order.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    say(`# ${name} exited (${signal ?? `code ${code}`})`);
  });
  return child;
}

const exited = (c: ChildProcess): Promise<void> =>
  c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

try {
  const platform = await startPlatform({ profile: 'dev' });
  const env = {
    ...process.env,
    KAFKA_BROKERS: platform.kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: platform.registry.url,
    AMBIT_NAMESPACE: namespace,
  };
  say(`# kafka     ${env.KAFKA_BROKERS}  cluster ${platform.kafka.clusterId}`);
  say(`# registry  ${env.SCHEMA_REGISTRY_URL}`);
  const apply = run('topics apply', 'services/cli/src/main.ts', ['topics', 'apply', '--namespace', namespace], env);
  await exited(apply);
  if (apply.exitCode !== 0) throw new Error(`topics apply failed (exit ${apply.exitCode})`);
  const host = run('agent host', 'services/agent-host/src/main.ts', ['--module', 'examples/moderation/src/agent.ts'], {
    ...env,
    AMBIT_INSTANCE_ID: 'demo-0',
    AMBIT_LOG_LEVEL: 'warn',
  });
  const feed = values['no-feed'] ? undefined : run('demo feed', 'examples/moderation/src/feed.ts', ['2'], env);
  say(`# demo agent "moderator" reads ${namespace}.content.submitted; decisions go to ${namespace}.decisions,`);
  say(`# removal requests to ${namespace}.effects.requested. Read them (read_committed), e.g.:`);
  say(`#   kcat -b ${env.KAFKA_BROKERS} -X isolation.level=read_committed -C -t ${namespace}.decisions -f '%k %h\\n'`);
  say('# Ctrl-C stops everything.');
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve());
    host.once('exit', () => resolve());
  });
  feed?.kill('SIGTERM');
  host.kill('SIGTERM');
  await Promise.all([exited(host), feed ? exited(feed) : undefined]);
  await platform.stop();
  process.exit(0);
} catch (e) {
  process.stderr.write(isAmbitError(e) ? `error [${e.code}]: ${e.message}\n` : `error: ${String(e)}\n`);
  process.exit(1);
}
