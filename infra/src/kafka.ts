/**
 * The local Kafka broker: storage format, the JVM command line, and readiness. Ready means
 * the broker describes itself with OUR cluster id and a transactional producer completes
 * init/begin/abort (the transaction state topic exists only after the first init), not
 * merely "Kafka Server started" in the log.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { createAdmin, probeTransactions, type KafkaConnection } from '@ambit/kafka';
import type { KafkaDistribution } from './artifacts.ts';
import type { PlatformConfig } from './config.ts';
import type { DataLayout } from './layout.ts';
import { instanceTag, type LaunchSpec } from './processes.ts';
import { portAccepts } from './ports.ts';
import { withTimeout } from './wait.ts';

/** Transactional id the readiness probe uses; re-used each time (init fences the previous probe). */
export const PROBE_TRANSACTIONAL_ID = 'ambit-infra-readiness';

// Small heap and a quick-start JIT: this broker serves one developer or one test run.
const KAFKA_JVM_OPTS = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

export function kafkaConnection(cfg: PlatformConfig, requestTimeoutMs = 5_000): KafkaConnection {
  return { brokers: [`${cfg.host}:${cfg.kafkaPort}`], clientId: 'ambit-infra', connectTimeoutMs: 2_000, requestTimeoutMs };
}

function javaArgs(cfg: PlatformConfig, dist: KafkaDistribution, layout: DataLayout, mainAndArgs: readonly string[]): string[] {
  return [
    ...KAFKA_JVM_OPTS,
    `-Dlog4j2.configurationFile=${join(cfg.infraDir, 'kafka', 'log4j2.properties')}`,
    instanceTag(layout.dir),
    '-cp',
    // The JVM expands the wildcard; no shell is involved.
    join(dist.libDir, '*'),
    ...mainAndArgs,
  ];
}

/** Formats the log dir for `clusterId` unless it already is (skips a JVM start on restarts); true when it formatted. */
export async function formatStorage(
  cfg: PlatformConfig,
  java: string,
  dist: KafkaDistribution,
  layout: DataLayout,
  clusterId: string,
): Promise<boolean> {
  if (existsSync(join(layout.kafkaLogDir, 'meta.properties'))) return false;
  const args = javaArgs(cfg, dist, layout, [
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    layout.serverProperties,
    '--ignore-formatted',
  ]);
  await new Promise<void>((resolve, reject) => {
    execFile(java, args, { cwd: layout.dir, env: cfg.env as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const out = `${stdout}\n${stderr}`.trim().split('\n').slice(-20).join('\n  ');
      const how = err.killed ? 'timed out' : `exit ${String(err.code)}`;
      reject(new AmbitError('INFRA_PROCESS_EXITED', `Kafka storage format failed (${how}); its output:\n  ${out}`, { cause: err }));
    });
  });
  return true;
}

export function kafkaLaunchSpec(cfg: PlatformConfig, java: string, dist: KafkaDistribution, layout: DataLayout): LaunchSpec {
  return {
    component: 'kafka',
    command: java,
    args: javaArgs(cfg, dist, layout, ['kafka.Kafka', layout.serverProperties]),
    cwd: layout.dir,
    env: cfg.env,
    logFile: layout.logFile('kafka'),
    detached: cfg.detached,
  };
}

/**
 * The cluster id of the Kafka broker answering on the configured port, or undefined when nothing
 * answers as Kafka within `timeoutMs` (a different server, or none).
 */
export async function describeClusterId(cfg: PlatformConfig, timeoutMs: number): Promise<string | undefined> {
  // Plain TCP first: an admin client pointed at a closed port only produces log noise.
  if (!(await portAccepts(cfg.kafkaPort, cfg.host))) return undefined;
  const conn = kafkaConnection(cfg, Math.min(3_000, timeoutMs));
  const attempt = (async () => {
    const admin = await createAdmin(conn);
    try {
      return (await admin.describeCluster()).clusterId;
    } finally {
      await admin.close();
    }
  })();
  // A late settlement after the timeout must not surface as an unhandled rejection.
  attempt.catch(() => {});
  try {
    return await withTimeout(attempt, timeoutMs, () => new Error('timeout'));
  } catch {
    return undefined;
  }
}

/** Transactions work end to end; throws the Kafka error (as AmbitError) when they do not. */
export async function probeBrokerTransactions(cfg: PlatformConfig, timeoutMs: number): Promise<void> {
  await probeTransactions(kafkaConnection(cfg), PROBE_TRANSACTIONAL_ID, timeoutMs);
}
