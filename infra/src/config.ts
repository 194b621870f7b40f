/**
 * Launcher configuration, parsed once at the edge into a frozen, fully defaulted object
 * (principle 9, docs/principles.md). Precedence: explicit option > environment > profile
 * default. The source of truth for ports, directories and timeouts; nothing else reads the env.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmbitError, silentLogger, type Logger } from '@ambit/core';

export type Profile = 'dev' | 'test';

export interface PlatformOptions {
  /** `dev` (default): persistent data, ports 9092/9093/8081. `test`: fresh data dir, other ports, short broker timeouts. */
  readonly profile?: Profile;
  readonly kafkaPort?: number;
  readonly controllerPort?: number;
  readonly registryPort?: number;
  /** Data root. `dev` uses it as is; `test` makes a fresh `test-<random>` directory inside it. */
  readonly dataDir?: string;
  /** Where Maven-resolved jars are kept (shared by every profile). */
  readonly cacheDir?: string;
  /** Start processes in their own session so they outlive this one (the CLI's `up`). */
  readonly detached?: boolean;
  /** Deadline for each component to become ready. */
  readonly readyTimeoutMs?: number;
  /** Extra or replacing broker properties (server.properties), applied last. */
  readonly brokerProperties?: Readonly<Record<string, string>>;
  /** Extra or replacing registry system properties (`-Dkey=value`), applied last. */
  readonly registryProperties?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Defaults to `process.env`; tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface MavenConfig {
  readonly offline: boolean;
  readonly repoLocal: string | undefined;
  /** Extra arguments from AMBIT_MAVEN_OPTS, split on whitespace. */
  readonly extraArgs: readonly string[];
}

/** AMBIT_MAVEN_OFFLINE, AMBIT_MAVEN_REPO_LOCAL, AMBIT_MAVEN_OPTS. */
export function mavenConfigFromEnv(env: Readonly<Record<string, string | undefined>>): MavenConfig {
  return Object.freeze({
    offline: truthy(env.AMBIT_MAVEN_OFFLINE),
    repoLocal: nonEmpty(env.AMBIT_MAVEN_REPO_LOCAL),
    extraArgs: Object.freeze((env.AMBIT_MAVEN_OPTS ?? '').split(/\s+/).filter(Boolean)),
  });
}

export interface PlatformConfig {
  readonly profile: Profile;
  readonly host: '127.0.0.1';
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly registryPort: number;
  readonly repoRoot: string;
  /** `<repo>/infra`: the POMs and log4j2.properties live here. */
  readonly infraDir: string;
  readonly dataRoot: string;
  /** This platform's own directory (the data root itself for `dev`). */
  readonly dataDir: string;
  /** Delete `dataDir` on stop (the `test` profile). */
  readonly ephemeral: boolean;
  readonly cacheDir: string;
  readonly detached: boolean;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly brokerProperties: Readonly<Record<string, string>>;
  readonly registryProperties: Readonly<Record<string, string>>;
  readonly maven: MavenConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/** Profile defaults. Test ports differ so a test run never collides with a dev platform. */
const PROFILE_DEFAULTS = {
  dev: { kafkaPort: 9092, controllerPort: 9093, registryPort: 8081, readyTimeoutMs: 120_000, envPrefix: 'AMBIT_' },
  // The test profile reads AMBIT_TEST_* ports so a developer's AMBIT_KAFKA_PORT (pointing
  // at their dev platform) cannot make the test broker collide with it.
  test: { kafkaPort: 39092, controllerPort: 39093, registryPort: 38081, readyTimeoutMs: 120_000, envPrefix: 'AMBIT_TEST_' },
} as const;

export const infraDir: string = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot: string = resolve(infraDir, '..');

export function resolveConfig(options: PlatformOptions = {}): PlatformConfig {
  const env = options.env ?? process.env;
  const profile = options.profile ?? 'dev';
  if (profile !== 'dev' && profile !== 'test') {
    throw new AmbitError('CONFIG_INVALID', `profile must be 'dev' or 'test', got '${String(profile)}'`);
  }
  const d = PROFILE_DEFAULTS[profile];
  const port = (name: string, option: number | undefined, fallback: number): number => {
    const envName = `${d.envPrefix}${name}`;
    const raw = option ?? env[envName] ?? fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new AmbitError('CONFIG_INVALID', `${option !== undefined ? name : envName} must be a port number (1-65535), got '${raw}'`);
    }
    return n;
  };
  const kafkaPort = port('KAFKA_PORT', options.kafkaPort, d.kafkaPort);
  const controllerPort = port('KAFKA_CONTROLLER_PORT', options.controllerPort, d.controllerPort);
  const registryPort = port('REGISTRY_PORT', options.registryPort, d.registryPort);
  if (new Set([kafkaPort, controllerPort, registryPort]).size !== 3) {
    // The broker and its controller listener each bind their own socket, and the registry a third.
    throw new AmbitError(
      'CONFIG_INVALID',
      `Kafka (${kafkaPort}), controller (${controllerPort}) and registry (${registryPort}) ports must all differ`,
    );
  }

  const dataRoot = resolve(options.dataDir ?? nonEmpty(env.AMBIT_DATA_DIR) ?? join(repoRoot, '.ambit', 'data'));
  const cacheDir = resolve(options.cacheDir ?? nonEmpty(env.AMBIT_CACHE_DIR) ?? join(repoRoot, '.ambit', 'cache'));
  const ephemeral = profile === 'test';
  const dataDir = ephemeral ? join(dataRoot, `test-${randomBytes(4).toString('hex')}`) : dataRoot;

  const readyTimeoutMs = options.readyTimeoutMs ?? d.readyTimeoutMs;
  if (!(readyTimeoutMs > 0)) throw new AmbitError('CONFIG_INVALID', `readyTimeoutMs must be positive, got ${readyTimeoutMs}`);

  return Object.freeze({
    profile,
    host: '127.0.0.1',
    kafkaPort,
    controllerPort,
    registryPort,
    repoRoot,
    infraDir,
    dataRoot,
    dataDir,
    ephemeral,
    cacheDir,
    detached: options.detached ?? false,
    readyTimeoutMs,
    stopTimeoutMs: 20_000,
    brokerProperties: Object.freeze({ ...(options.brokerProperties ?? {}) }),
    registryProperties: Object.freeze({ ...(options.registryProperties ?? {}) }),
    maven: mavenConfigFromEnv(env),
    env,
    logger: options.logger ?? silentLogger,
  } satisfies PlatformConfig);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

function truthy(s: string | undefined): boolean {
  return s !== undefined && /^(1|true|yes|on)$/i.test(s.trim());
}
