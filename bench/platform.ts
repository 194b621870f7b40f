/** Where a benchmark runs: KAFKA_BROKERS / SCHEMA_REGISTRY_URL when both are set, else the dev platform (started or reused). */
import { startPlatform } from '@ambit/infra';
import { parseBrokers } from '@ambit/kafka';

export interface BenchPlatform {
  readonly brokers: string[];
  readonly registryUrl: string;
  /** Stops what this call started (nothing when external addresses were given). */
  stop(): Promise<void>;
}

export async function benchPlatform(): Promise<BenchPlatform> {
  if (process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL) {
    return { brokers: parseBrokers(process.env.KAFKA_BROKERS), registryUrl: process.env.SCHEMA_REGISTRY_URL, stop: async () => {} };
  }
  const p = await startPlatform({ profile: 'dev' });
  return { brokers: p.kafka.brokers, registryUrl: p.registry.url, stop: () => p.stop() };
}
