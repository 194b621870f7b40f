/**
 * vitest global setup for integration tests: one broker + registry per run.
 * Uses KAFKA_BROKERS / SCHEMA_REGISTRY_URL when both are set; otherwise starts the local
 * platform with the short-timeout test profile and stops it after the run.
 */
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (brokers && registryUrl) {
    const { parseBrokers, createAdmin } = await import('@ambit/kafka');
    const admin = await createAdmin({ brokers: parseBrokers(brokers) });
    const { clusterId } = await admin.describeCluster().finally(() => admin.close());
    project.provide('ambitPlatform', { brokers: parseBrokers(brokers), registryUrl, clusterId });
    return async () => {};
  }
  // Loaded only here, so a run against external addresses never loads the launcher.
  const { startPlatform } = await import('@ambit/infra');
  const platform = await startPlatform({ profile: 'test' });
  project.provide('ambitPlatform', {
    brokers: platform.kafka.brokers,
    registryUrl: platform.registry.url,
    clusterId: platform.kafka.clusterId,
  });
  return async () => {
    await platform.stop();
  };
}
