/**
 * The two runnable distributions the launcher needs, resolved once into the cache:
 * Kafka's jars (`<cache>/kafka-<version>/lib`) and Apicurio Registry's Quarkus app
 * (`<cache>/apicurio-<version>/quarkus-run.jar`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';
import type { PlatformConfig } from './config.ts';
import { kafkaCacheDir, registryCacheDir } from './layout.ts';
import { ensureResolved, pomProperty, runMaven } from './maven.ts';

export interface KafkaDistribution {
  readonly version: string;
  readonly libDir: string;
}

export interface RegistryDistribution {
  readonly version: string;
  readonly appDir: string;
  readonly runJar: string;
}

export async function ensureKafkaDistribution(cfg: PlatformConfig): Promise<KafkaDistribution> {
  const projectDir = join(cfg.infraDir, 'kafka');
  const version = await pomProperty(join(projectDir, 'pom.xml'), 'kafka.version');
  const { dir } = await ensureResolved(
    kafkaCacheDir(cfg.cacheDir, version),
    (tmp) => runMaven({ projectDir, goal: 'copy-dependencies', outputDir: join(tmp, 'lib') }, cfg.maven, cfg.env),
    cfg.logger,
  );
  return { version, libDir: join(dir, 'lib') };
}

export async function ensureRegistryDistribution(cfg: PlatformConfig): Promise<RegistryDistribution> {
  const projectDir = join(cfg.infraDir, 'registry');
  const version = await pomProperty(join(projectDir, 'pom.xml'), 'apicurio.version');
  const { dir } = await ensureResolved(
    registryCacheDir(cfg.cacheDir, version),
    async (tmp) => {
      await runMaven({ projectDir, goal: 'unpack-dependencies', outputDir: tmp }, cfg.maven, cfg.env);
      if (!existsSync(join(tmp, 'quarkus-run.jar'))) {
        throw new AmbitError('INFRA_MAVEN_FAILED', `unpacked Apicurio ${version} but found no quarkus-run.jar at the top of the archive`);
      }
    },
    cfg.logger,
  );
  return { version, appDir: dir, runJar: join(dir, 'quarkus-run.jar') };
}
