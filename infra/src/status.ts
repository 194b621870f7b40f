/** `status`: what the pid files say and what actually answers on the configured ports. */
import { readClusterId } from './cluster-id.ts';
import { resolveConfig, type PlatformOptions } from './config.ts';
import { describeClusterId } from './kafka.ts';
import { dataLayout, type Component } from './layout.ts';
import type { PlatformStatus } from './platform.ts';
import { isRecordedProcess, readPidFile } from './processes.ts';
import { registryAnswers, registryUrl } from './registry.ts';

export async function platformStatus(options: PlatformOptions = {}): Promise<PlatformStatus> {
  const cfg = resolveConfig(options);
  const layout = dataLayout(cfg.dataDir);
  const pidOf = async (c: Component): Promise<number | undefined> => {
    const rec = await readPidFile(layout.pidFile(c));
    return rec && (await isRecordedProcess(rec)) ? rec.pid : undefined;
  };
  const url = registryUrl(cfg);
  const [clusterId, kafkaPid, registryPid, answering, registryUp] = await Promise.all([
    readClusterId(layout.clusterIdFile),
    pidOf('kafka'),
    pidOf('registry'),
    describeClusterId(cfg, 5_000),
    registryAnswers(url),
  ]);
  const kafkaOurs = answering !== undefined && answering === clusterId;
  return {
    dataDir: layout.dir,
    clusterId,
    kafka: {
      pid: kafkaPid,
      ready: kafkaOurs,
      address: `${cfg.host}:${cfg.kafkaPort}`,
      ...(answering !== undefined && !kafkaOurs ? { foreignClusterId: answering } : {}),
    },
    registry: { pid: registryPid, ready: registryUp, address: url },
  };
}
