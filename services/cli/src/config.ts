/**
 * Connection and namespace settings shared by commands: flags win over environment
 * variables, which win over the local-platform defaults. Resolved once, frozen.
 */
import { parseBrokers } from '@ambit/kafka';
import { UsageError, type FlagValues } from './command.ts';

export interface CliConfig {
  readonly namespace: string;
  /** Environment in `schemas/topics.yaml` (replication, min ISR, retention profiles). */
  readonly env: string;
  readonly brokers: readonly string[];
  readonly registryUrl: string;
}

export const DEFAULTS = Object.freeze({
  brokers: '127.0.0.1:9092',
  registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
  namespace: 'dev',
  env: 'local',
});

/** Flags every command that talks to the platform accepts. */
export const CONNECTION_OPTIONS = {
  namespace: { type: 'string' },
  env: { type: 'string' },
  brokers: { type: 'string' },
  registry: { type: 'string' },
} as const;

export const CONNECTION_HELP = [
  '--namespace <ns>     topic name prefix (env AMBIT_NAMESPACE, default dev)',
  '--env <name>         local | production, from schemas/topics.yaml (env AMBIT_ENV, default local)',
  '--brokers <list>     host:port[,host:port] (env KAFKA_BROKERS, default 127.0.0.1:9092)',
  '--registry <url>     schema registry base URL (env SCHEMA_REGISTRY_URL)',
];

export function resolveConfig(flags: FlagValues, env: Readonly<Record<string, string | undefined>>): CliConfig {
  const pick = (flag: string, envName: string, fallback: string): string => {
    const v = flags[flag];
    if (typeof v === 'string') {
      if (v.trim() === '') throw new UsageError(`--${flag} must not be empty`);
      return v.trim();
    }
    return env[envName]?.trim() || fallback;
  };
  let brokers: string[];
  try {
    brokers = parseBrokers(pick('brokers', 'KAFKA_BROKERS', DEFAULTS.brokers));
  } catch (e) {
    throw new UsageError(`--brokers: ${(e as Error).message}`);
  }
  const registryUrl = pick('registry', 'SCHEMA_REGISTRY_URL', DEFAULTS.registryUrl);
  if (!/^https?:\/\/[^\s]+$/.test(registryUrl)) throw new UsageError(`--registry: "${registryUrl}" is not an http(s) URL`);
  return Object.freeze({
    namespace: pick('namespace', 'AMBIT_NAMESPACE', DEFAULTS.namespace),
    env: pick('env', 'AMBIT_ENV', DEFAULTS.env),
    brokers: Object.freeze(brokers),
    registryUrl,
  });
}
