/**
 * Where things live inside a platform's data directory and the jar cache. The single
 * source of these paths: the launcher, `down` and `status` all read them from here.
 */
import { join } from 'node:path';

export type Component = 'kafka' | 'registry';

export interface DataLayout {
  readonly dir: string;
  /** The broker's `log.dirs`. */
  readonly kafkaLogDir: string;
  /** The cluster id this data dir was formatted with, beside `kafkaLogDir`. */
  readonly clusterIdFile: string;
  readonly serverProperties: string;
  readonly logFile: (c: Component) => string;
  readonly pidFile: (c: Component) => string;
}

export function dataLayout(dir: string): DataLayout {
  return {
    dir,
    kafkaLogDir: join(dir, 'kafka'),
    clusterIdFile: join(dir, 'cluster.id'),
    serverProperties: join(dir, 'server.properties'),
    logFile: (c) => join(dir, `${c}.log`),
    pidFile: (c) => join(dir, `${c}.pid`),
  };
}

/** Cache directories are keyed by version, so bumping a POM version resolves afresh. */
export function kafkaCacheDir(cacheDir: string, version: string): string {
  return join(cacheDir, `kafka-${version}`);
}

export function registryCacheDir(cacheDir: string, version: string): string {
  return join(cacheDir, `apicurio-${version}`);
}
