/**
 * Starts (or reuses) the local broker and registry, in this order:
 *   1. ports        every port is checked before anything is launched; a broker of OUR
 *                   cluster on the Kafka port is reused, one of another cluster is refused
 *   2. java         Kafka 17+, registry 21+, only for what will be launched
 *   3. jars         resolved with Maven into the cache unless already there
 *   4. kafka        format (first run only), launch, wait for our cluster id
 *   5. in parallel  kafka: a transaction completes | registry: launch, API answers, global rule set
 * A launched process that exits during start-up fails the start at once with its log tail.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { AmbitError } from '@ambit/core';
import { ensureKafkaDistribution, ensureRegistryDistribution } from './artifacts.ts';
import { ensureClusterId } from './cluster-id.ts';
import { resolveConfig, type PlatformConfig, type PlatformOptions } from './config.ts';
import { findKafkaJava, findRegistryJava } from './java.ts';
import { describeClusterId, formatStorage, kafkaLaunchSpec, probeBrokerTransactions } from './kafka.ts';
import { dataLayout, type Component, type DataLayout } from './layout.ts';
import type { RunningPlatform } from './platform.ts';
import { isPortFree } from './ports.ts';
import {
  instanceTag,
  isRecordedProcess,
  launch,
  readPidFile,
  removePidFile,
  stopLaunched,
  tailLines,
  writePidFile,
  type LaunchSpec,
  type Launched,
} from './processes.ts';
import { applyGlobalCompatibility, registryAnswers, registryLaunchSpec, registryUrl } from './registry.ts';
import { brokerProperties, renderProperties } from './server-properties.ts';
import { removeStaleTestDirs } from './stale-test-dirs.ts';
import { pollUntil } from './wait.ts';

/** How long a taken Kafka port gets to say which cluster it belongs to. */
const IDENTIFY_TIMEOUT_MS = 5_000;

export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  return startWithConfig(resolveConfig(options));
}

export async function startWithConfig(cfg: PlatformConfig): Promise<RunningPlatform> {
  const log = cfg.logger;
  const layout = dataLayout(cfg.dataDir);
  const launched: Launched[] = [];
  let stopping = false;

  const stopLaunchedAll = async (): Promise<void> => {
    stopping = true;
    // Registry first: it is a Kafka client and would only log errors while the broker goes.
    for (const p of [...launched].reverse()) {
      await stopLaunched(p, cfg.stopTimeoutMs);
      const rec = await readPidFile(layout.pidFile(p.component));
      if (rec?.pid === p.pid) await removePidFile(layout.pidFile(p.component));
    }
    if (cfg.ephemeral) await rm(layout.dir, { recursive: true, force: true });
  };

  try {
    if (cfg.ephemeral) await removeStaleTestDirs(cfg.dataRoot, log);
    await mkdir(layout.dir, { recursive: true });
    const clusterId = await ensureClusterId(layout.clusterIdFile);

    const kafkaPlan = await planKafka(cfg, clusterId, layout);
    const registryPlan = await planRegistry(cfg, layout);

    const [kafkaJava, registryJava] = await Promise.all([
      kafkaPlan.reuse ? undefined : findKafkaJava(cfg.env),
      registryPlan.reuse ? undefined : findRegistryJava(cfg.env),
    ]);
    // allSettled: a failing resolution must not leave the other Maven run writing into the cache.
    const [kafkaDist, registryDist] = await allOrFirstError([
      kafkaPlan.reuse ? undefined : ensureKafkaDistribution(cfg),
      registryPlan.reuse ? undefined : ensureRegistryDistribution(cfg),
    ] as const);

    const launchRecorded = async (spec: LaunchSpec, port: number): Promise<Launched> => {
      const p = launch(spec);
      launched.push(p);
      const rec = { pid: p.pid, component: spec.component, tag: instanceTag(layout.dir), port, startedAt: new Date().toISOString() };
      if (p.pid > 0) await writePidFile(layout.pidFile(spec.component), rec);
      log.info(`${spec.component} launched`, { pid: p.pid, log: spec.logFile });
      return p;
    };
    const abortIfExited = (ps: Launched[]) => async (): Promise<void> => {
      const dead = ps.find((p) => p.hasExited());
      if (dead) throw await processExited(dead, 'during start-up');
    };

    // 4. Kafka up with our cluster id.
    const kafkaStart = Date.now();
    const kafkaDeadline = kafkaStart + cfg.readyTimeoutMs;
    let kafkaProc: Launched | undefined;
    if (kafkaJava && kafkaDist) {
      const props = brokerProperties({
        profile: cfg.profile,
        host: cfg.host,
        port: cfg.kafkaPort,
        controllerPort: cfg.controllerPort,
        logDir: layout.kafkaLogDir,
        overrides: cfg.brokerProperties,
      });
      await writeFile(
        layout.serverProperties,
        renderProperties(props, 'Written by @ambit/infra on every start: change options, not this file.'),
      );
      if (await formatStorage(cfg, kafkaJava.bin, kafkaDist, layout, clusterId)) {
        log.info('kafka storage formatted', { clusterId, ms: Date.now() - kafkaStart });
      }
      kafkaProc = await launchRecorded(kafkaLaunchSpec(cfg, kafkaJava.bin, kafkaDist, layout), cfg.kafkaPort);
      const answering = await pollUntil(() => describeClusterId(cfg, 3_000), {
        what: `Kafka on ${cfg.host}:${cfg.kafkaPort}`,
        deadline: kafkaDeadline,
        abortIf: abortIfExited([kafkaProc]),
      });
      // Someone else's broker won the race for the port between our check and our bind.
      if (answering !== clusterId) throw clusterMismatch(cfg, answering, clusterId, layout);
      log.info('kafka answers with our cluster id', { ms: Date.now() - kafkaStart });
    } else {
      log.info('reusing the running broker of this cluster', { port: cfg.kafkaPort, clusterId });
    }
    const kafkaProcs = kafkaProc ? [kafkaProc] : [];

    // 5. Transactions on the broker, and the registry, in parallel.
    const kafkaReady = (async (): Promise<number> => {
      await pollUntil(
        async () => {
          await probeBrokerTransactions(cfg, 15_000);
          return true;
        },
        { what: `transactions on Kafka ${cfg.host}:${cfg.kafkaPort}`, deadline: kafkaDeadline, abortIf: abortIfExited(kafkaProcs) },
      );
      log.info('kafka transactions work', { ms: Date.now() - kafkaStart });
      return Date.now() - kafkaStart;
    })();
    const url = registryUrl(cfg);
    let registryProc: Launched | undefined;
    const registryReady = (async (): Promise<number> => {
      const start = Date.now();
      if (registryJava && registryDist) {
        registryProc = await launchRecorded(registryLaunchSpec(cfg, registryJava.bin, registryDist, layout), cfg.registryPort);
      }
      const procs = [...kafkaProcs, ...(registryProc ? [registryProc] : [])];
      const opts = { what: `schema registry at ${url}`, deadline: start + cfg.readyTimeoutMs, abortIf: abortIfExited(procs) };
      await pollUntil(async () => ((await registryAnswers(url)) ? true : undefined), opts);
      await pollUntil(async () => {
        await applyGlobalCompatibility(url);
        return true;
      }, opts);
      log.info('registry answers, global compatibility set', { ms: Date.now() - start });
      return Date.now() - start;
    })();
    const [kafkaReadyMs, registryReadyMs] = await Promise.all([kafkaReady, registryReady]);

    const crashed = new Promise<AmbitError>((resolve) => {
      for (const p of launched) {
        void p.exited.then(async () => {
          if (!stopping) resolve(await processExited(p, 'unexpectedly'));
        });
      }
    });
    let stopped: Promise<void> | undefined;
    return {
      kafka: {
        brokers: [`${cfg.host}:${cfg.kafkaPort}`],
        clusterId,
        port: cfg.kafkaPort,
        pid: kafkaProc?.pid ?? kafkaPlan.pid,
        reused: kafkaPlan.reuse,
        readyMs: kafkaReadyMs,
      },
      registry: { url, pid: registryProc?.pid ?? registryPlan.pid, reused: registryPlan.reuse, readyMs: registryReadyMs },
      dataDir: layout.dir,
      crashed,
      stop: () => (stopped ??= stopLaunchedAll()),
    };
  } catch (e) {
    await stopLaunchedAll().catch((cleanupError: unknown) =>
      log.warn('cleanup after failed start failed', { error: String(cleanupError) }),
    );
    throw e;
  }
}

interface Plan {
  readonly reuse: boolean;
  /** Pid of the reused process, when our pid file vouches for it. */
  readonly pid?: number;
}

/** Launch, or reuse a healthy broker of this cluster; refuse anything else on our ports. */
async function planKafka(cfg: PlatformConfig, clusterId: string, layout: DataLayout): Promise<Plan> {
  if (await isPortFree(cfg.kafkaPort)) {
    if (!(await isPortFree(cfg.controllerPort)))
      throw portInUse(cfg.controllerPort, 'Kafka controller', 'AMBIT_KAFKA_CONTROLLER_PORT', cfg);
    return { reuse: false };
  }
  const answering = await describeClusterId(cfg, IDENTIFY_TIMEOUT_MS);
  if (answering === undefined) throw portInUse(cfg.kafkaPort, 'Kafka', 'AMBIT_KAFKA_PORT', cfg, ' by something that is not a Kafka broker');
  if (answering !== clusterId) throw clusterMismatch(cfg, answering, clusterId, layout);
  return { reuse: true, pid: await recordedPid(layout, 'kafka') };
}

/** Launch, or reuse the registry our own pid file names when it answers. */
async function planRegistry(cfg: PlatformConfig, layout: DataLayout): Promise<Plan> {
  if (await isPortFree(cfg.registryPort)) return { reuse: false };
  const pid = await recordedPid(layout, 'registry');
  if (pid !== undefined && (await registryAnswers(registryUrl(cfg)))) return { reuse: true, pid };
  throw portInUse(
    cfg.registryPort,
    'schema registry',
    'AMBIT_REGISTRY_PORT',
    cfg,
    pid === undefined ? ' by a process this data dir did not start' : '',
  );
}

async function recordedPid(layout: DataLayout, c: Component): Promise<number | undefined> {
  const rec = await readPidFile(layout.pidFile(c));
  return rec && (await isRecordedProcess(rec)) ? rec.pid : undefined;
}

function portInUse(port: number, what: string, envName: string, cfg: PlatformConfig, how = ''): AmbitError {
  const env = cfg.profile === 'test' ? envName.replace(/^AMBIT_/, 'AMBIT_TEST_') : envName;
  return new AmbitError(
    'INFRA_PORT_IN_USE',
    `port ${cfg.host}:${port} (${what}) is already in use${how}: stop that process or set ${env}`,
    {
      details: { port },
    },
  );
}

function clusterMismatch(cfg: PlatformConfig, answering: string, ours: string, layout: DataLayout): AmbitError {
  return new AmbitError(
    'INFRA_CLUSTER_MISMATCH',
    `a Kafka broker of cluster ${answering} answers on ${cfg.host}:${cfg.kafkaPort}, but data dir ${layout.dir} belongs to cluster ${ours}: ` +
      'stop that broker (`pnpm infra:down` with its AMBIT_DATA_DIR) or use other ports; it is never reused',
    { details: { answering, ours, port: cfg.kafkaPort } },
  );
}

async function processExited(p: Launched, when: string): Promise<AmbitError> {
  const { code, signal } = await p.exited;
  const lines = await tailLines(p.logFile, 20);
  const how = signal ? `signal ${signal}` : `code ${code}`;
  return new AmbitError(
    'INFRA_PROCESS_EXITED',
    `${p.component} (pid ${p.pid}) exited ${when} (${how}); last lines of ${p.logFile}:\n  ${lines.join('\n  ')}`,
    { details: { component: p.component, code, signal } },
  );
}

/** Like Promise.all, but settles only after every promise has, then throws the first error. */
async function allOrFirstError<T extends readonly unknown[]>(ps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
