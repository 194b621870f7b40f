/**
 * The local schema registry: Apicurio Registry with Kafka (kafkasql) storage, reached
 * through its Confluent-compatible API (docs/adr/0003). The launcher owns the global
 * compatibility rule: Apicurio enforces none until one is set.
 */
import type { PlatformConfig } from './config.ts';
import type { RegistryDistribution } from './artifacts.ts';
import type { DataLayout } from './layout.ts';
import { instanceTag, type LaunchSpec } from './processes.ts';

export const GLOBAL_COMPATIBILITY = 'BACKWARD_TRANSITIVE';
const CCOMPAT = '/apis/ccompat/v7';
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

// SerialGC and C1 only: Quarkus starts noticeably faster on 2 cores, and a dev registry never gets hot.
const REGISTRY_JVM_OPTS = ['-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];

/** The Confluent-compatible base URL: what every Confluent client calls `schema.registry.url`. */
export function registryUrl(cfg: PlatformConfig): string {
  return `http://${cfg.host}:${cfg.registryPort}${CCOMPAT}`;
}

export function registrySystemProperties(cfg: PlatformConfig): Record<string, string> {
  return {
    'quarkus.http.port': String(cfg.registryPort),
    'quarkus.http.host': cfg.host,
    // The management interface (health, metrics) is fixed on at build time, and would bind
    // 0.0.0.0:9000, clashing with any other registry: a random loopback port instead.
    'quarkus.management.host': cfg.host,
    'quarkus.management.port': '0',
    'apicurio.storage.kind': 'kafkasql',
    'apicurio.kafkasql.bootstrap.servers': `${cfg.host}:${cfg.kafkaPort}`,
    // Apicurio's defaults, written out: a second registry on the same broker needs its own
    // three names (through `registryProperties`), or the two act as replicas of one registry.
    'apicurio.kafkasql.topic': 'kafkasql-journal',
    'apicurio.kafkasql.snapshots.topic': 'kafkasql-snapshots',
    'apicurio.events.kafka.topic': 'registry-events',
    // Start-up reads the (empty) snapshots topic with this poll timeout, twice: 5 s each by
    // default, 1 s saves ~8 s per start. We never trigger snapshots, so none can be missed.
    'apicurio.kafkasql.consumer.poll.timeout': '1000',
    // Apicurio's Kafka clients print their full config at INFO on every (re)connect.
    'quarkus.log.category."org.apache.kafka".level': 'WARN',
    // One access-log line per request is noise in a test run's log.
    ...(cfg.profile === 'test' ? { 'quarkus.http.access-log.enabled': 'false' } : {}),
    ...cfg.registryProperties,
  };
}

export function registryLaunchSpec(cfg: PlatformConfig, java: string, dist: RegistryDistribution, layout: DataLayout): LaunchSpec {
  const props = Object.entries(registrySystemProperties(cfg)).map(([k, v]) => `-D${k}=${v}`);
  return {
    component: 'registry',
    command: java,
    args: [...REGISTRY_JVM_OPTS, instanceTag(layout.dir), ...props, '-jar', dist.runJar],
    cwd: layout.dir,
    env: cfg.env,
    logFile: layout.logFile('registry'),
    detached: cfg.detached,
  };
}

async function request(url: string, init: RequestInit = {}, timeoutMs = 3_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** The registry serves its Confluent-compatible API (which needs its Kafka journal loaded). */
export async function registryAnswers(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/subjects`);
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Sets the global compatibility rule and reads it back; throws when either step fails. */
export async function applyGlobalCompatibility(url: string, level = GLOBAL_COMPATIBILITY): Promise<void> {
  const put = await request(`${url}/config`, {
    method: 'PUT',
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ compatibility: level }),
  });
  const putText = await put.text();
  if (put.status !== 200) throw new Error(`PUT ${CCOMPAT}/config returned ${put.status}: ${putText.slice(0, 200)}`);
  const get = await request(`${url}/config`);
  const body = (await get.json()) as { compatibilityLevel?: string };
  if (body.compatibilityLevel !== level) {
    throw new Error(`global compatibility reads back as ${JSON.stringify(body)}, expected ${level}`);
  }
}
