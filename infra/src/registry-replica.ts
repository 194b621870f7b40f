/**
 * A second registry process on its own port, sharing the platform registry's Kafka journal
 * (same kafkasql topics): a replica that serves the same schemas and ids. Tests stop and
 * restart it to take "the registry" away from the processes that use it, while the
 * platform's own registry keeps serving the test's producers.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import { ensureRegistryDistribution } from './artifacts.ts';
import { resolveConfig, type PlatformOptions } from './config.ts';
import { findRegistryJava } from './java.ts';
import { dataLayout } from './layout.ts';
import { launch, stopLaunched, type Launched } from './processes.ts';
import { registryAnswers, registryLaunchSpec, registryUrl } from './registry.ts';
import { pollUntil } from './wait.ts';

export interface RegistryReplica {
  /** The replica's Confluent-compatible base URL (stable across stop/start). */
  readonly url: string;
  /** Launches the replica and resolves once its API answers. */
  start(): Promise<{ readyMs: number }>;
  /** Stops the replica (SIGTERM, then SIGKILL after 20 s); the URL then refuses connections. */
  stop(): Promise<void>;
  /** Stops it and removes its log directory. */
  close(): Promise<void>;
}

/** `kafkaPort`: the running broker the platform registry journals to; `registryPort`: the replica's. */
export async function registryReplica(
  options: { kafkaPort: number; registryPort: number } & Pick<PlatformOptions, 'env'>,
): Promise<RegistryReplica> {
  const cfg = resolveConfig({
    profile: 'test',
    kafkaPort: options.kafkaPort,
    registryPort: options.registryPort,
    // The controller port is never bound by a replica; it only has to differ from the others.
    controllerPort: options.registryPort === 1 ? 2 : 1,
    ...(options.env ? { env: options.env } : {}),
  });
  const java = await findRegistryJava(cfg.env);
  const dist = await ensureRegistryDistribution(cfg);
  await mkdir(cfg.dataRoot, { recursive: true });
  const layout = dataLayout(await mkdtemp(join(cfg.dataRoot, 'registry-replica-')));
  const url = registryUrl(cfg);
  let proc: Launched | undefined;
  const stop = async (): Promise<void> => {
    if (proc) await stopLaunched(proc, cfg.stopTimeoutMs);
    proc = undefined;
  };
  return {
    url,
    async start() {
      if (proc && !proc.hasExited()) throw new AmbitError('CONFIG_INVALID', `registry replica at ${url} is already running`);
      const started = Date.now();
      const p = launch(registryLaunchSpec(cfg, java.bin, dist, layout));
      proc = p;
      await pollUntil(async () => ((await registryAnswers(url)) ? true : undefined), {
        what: `registry replica at ${url}`,
        deadline: started + cfg.readyTimeoutMs,
        abortIf: () => {
          if (p.hasExited()) throw new AmbitError('INFRA_PROCESS_EXITED', `registry replica exited; see ${layout.logFile('registry')}`);
        },
      });
      return { readyMs: Date.now() - started };
    },
    stop,
    async close() {
      await stop();
      await rm(layout.dir, { recursive: true, force: true });
    },
  };
}
