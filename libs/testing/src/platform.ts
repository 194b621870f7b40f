/**
 * Where integration tests find Kafka and the registry. The vitest global setup
 * (`global-setup.ts`) starts the local platform once per run, or takes `KAFKA_BROKERS` /
 * `SCHEMA_REGISTRY_URL` from the environment when set, and provides the addresses here.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export interface TestPlatform {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly clusterId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    ambitPlatform: TestPlatform;
  }
}

export function testPlatform(): TestPlatform {
  const p = inject('ambitPlatform');
  if (!p) throw new Error('no test platform: run integration tests through the vitest "integration" project');
  return p;
}

/** A unique, valid topic / group / transactional-id name for one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
