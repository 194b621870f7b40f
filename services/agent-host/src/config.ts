/**
 * The host's configuration: command-line flags for what to run, environment variables for
 * where and how (twelve-factor, so N copies differ only by AMBIT_INSTANCE_ID and
 * AMBIT_STATE_DIR). Parsed once into a frozen object; range and cross-field rules of the
 * runtime itself stay in `resolveRuntimeConfig`, which the host calls next.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AmbitError } from '@ambit/core';
import { parseBrokers } from '@ambit/kafka';
import type { RuntimeConfigInput } from '@ambit/runtime';

export type Env = Readonly<Record<string, string | undefined>>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface HostConfig {
  /** `--help`: print HELP and exit 0; nothing else is parsed. */
  readonly help: boolean;
  /** `--module`: a file path (relative to the working directory) or a package name. */
  readonly module: string;
  /** `--agent`: the export holding the agent; default: `default`, then `agent`. */
  readonly exportName: string | undefined;
  /** AMBIT_DIAGNOSTICS=stdout: one JSON line per runtime diagnostics message on stdout. */
  readonly diagnostics: 'stdout' | 'off';
  readonly logLevel: LogLevel;
  /** How long a graceful stop (SIGTERM/SIGINT) may take before the host gives up (exit 1). */
  readonly stopTimeoutMs: number;
  /** How long importing the agent module may take. */
  readonly loadTimeoutMs: number;
  /** Health endpoints (/health/ready, /health/live, /status); undefined: no HTTP server. */
  readonly health: { readonly host: string; readonly port: number; readonly maxEventLoopLagMs: number } | undefined;
  readonly runtime: Omit<RuntimeConfigInput, 'logger'>;
}

/** Local-platform defaults, as the CLI's (`pnpm platform`). */
export const DEFAULTS = Object.freeze({
  brokers: '127.0.0.1:9092',
  registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
  namespace: 'dev',
  stopTimeoutMs: 30_000,
  loadTimeoutMs: 10_000,
  healthHost: '0.0.0.0',
  maxEventLoopLagMs: 5_000,
});

export const HELP = `usage: agent-host --module <path|package> [--agent <export>]

Runs one agent on the Ambit runtime. Start N copies with distinct AMBIT_INSTANCE_ID to scale
(up to the input partition count).

flags:
  --module <x>     agent module: a file path (relative to the working directory) or a package
  --agent <name>   export holding the agent (default: the default export, else "agent")
  --help           this text

environment:
  KAFKA_BROKERS                  host:port[,host:port] (default ${DEFAULTS.brokers})
  SCHEMA_REGISTRY_URL            registry base URL (default ${DEFAULTS.registryUrl})
  AMBIT_NAMESPACE                topic prefix (default ${DEFAULTS.namespace})
  AMBIT_ENV                      environment in schemas/topics.yaml whose settings the internal
                                 topics get: local | production (default local)
  AMBIT_INSTANCE_ID              required; stable across restarts of this process slot,
                                 unique among live processes (names the transactional id)
  AMBIT_STATE_DIR                store root (default .ambit/state/<AMBIT_INSTANCE_ID>)
  AMBIT_COMMIT_INTERVAL_MS       transaction commit interval (runtime default 100)
  AMBIT_SESSION_TIMEOUT_MS       consumer group session timeout
  AMBIT_TRANSACTION_TIMEOUT_MS   producer transaction timeout
  AMBIT_MAX_IN_FLIGHT            key-level concurrency: records a task runs at once, one key in
                                 order (default 1)
  AMBIT_MAX_DISTANCE             most records between a task's lowest incomplete and newest started
                                 offset; its inputs pause past it (default 1000)
  AMBIT_STATE_CACHE_MAX_BYTES    record cache per task: a key's changelog writes in one transaction
                                 collapse to its last (default 0: off)
  AMBIT_HANDLER_TIMEOUT_MS       per-attempt handler deadline (runtime default 15000)
  AMBIT_HANDLER_ATTEMPTS         attempts before a failing record goes to the DLQ (default 3)
  AMBIT_MAX_CRASH_ATTEMPTS       unclean stops a record may cause before it is dead-lettered (default 3)
  AMBIT_HEALTH_PORT              serve /health/ready, /health/live, /status on this port (0: any free
                                 port, logged); unset: no HTTP server
  AMBIT_HEALTH_HOST              address to bind (default ${DEFAULTS.healthHost})
  AMBIT_MAX_EVENT_LOOP_LAG_MS    liveness fails above this event-loop delay (default ${DEFAULTS.maxEventLoopLagMs})
  AMBIT_FORCED_RESTORE=<p>       testing: after each commit, with probability p (0..1), drop one task's
                                 local state and restore it from the changelog
  AMBIT_STATE_RESET=1            rebuild stores whose changelog was recreated
  AMBIT_REGISTER_SCHEMAS=1       register input/output value schemas at start
  AMBIT_FAULT_PAUSE_BEFORE_COMMIT=1  test only: SIGSTOP once, before committing a transaction with records
  AMBIT_DIAGNOSTICS=stdout       runtime diagnostics as JSON lines on stdout
  AMBIT_LOG_LEVEL                debug | info | warn | error (default info); logs go to stderr
  AMBIT_STOP_TIMEOUT_MS          graceful stop deadline (default ${DEFAULTS.stopTimeoutMs})

exit codes: 0 stopped by SIGTERM/SIGINT; 1 the runtime failed; 2 bad configuration or agent module`;

const invalid = (message: string): AmbitError => new AmbitError('CONFIG_INVALID', message);

/** Parses flags and environment. Throws CONFIG_INVALID naming the flag or variable at fault. */
export function parseHostConfig(argv: readonly string[], env: Env, cwd: string = process.cwd()): HostConfig {
  let values: { module?: string | undefined; agent?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { module: { type: 'string' }, agent: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw invalid(`${(e as Error).message} (see --help)`);
  }
  const help = values.help === true;
  const module = values.module?.trim() ?? '';
  if (!help && module === '') throw invalid('--module <path|package> is required (see --help)');
  const exportName = values.agent?.trim();
  if (exportName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(exportName)) throw invalid(`--agent "${exportName}" is not an export name`);

  const text = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) <= 0)
      throw invalid(`${name} must be a positive integer (got "${v}")`);
    return Number(v);
  };
  const port = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) > 65_535) throw invalid(`${name} must be a TCP port 0-65535 (got "${v}")`);
    return Number(v);
  };
  const probability = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^(0|1|0?\.\d+|1\.0*)$/.test(v) || !(n >= 0 && n <= 1))
      throw invalid(`${name} must be a probability between 0 and 1 (got "${v}")`);
    return n;
  };
  const flag = (name: string): boolean => {
    const v = text(name)?.toLowerCase();
    if (v === undefined || v === '0' || v === 'false') return false;
    if (v === '1' || v === 'true') return true;
    throw invalid(`${name} must be 1/true or 0/false (got "${v}")`);
  };

  let brokers: string[];
  try {
    brokers = parseBrokers(text('KAFKA_BROKERS') ?? DEFAULTS.brokers);
  } catch (e) {
    throw invalid(`KAFKA_BROKERS: ${(e as Error).message}`);
  }
  const instanceId = text('AMBIT_INSTANCE_ID');
  if (!help && instanceId === undefined) {
    throw invalid('AMBIT_INSTANCE_ID is required: a stable id per process slot, the same after a restart, unique among live hosts');
  }
  const stateDir = text('AMBIT_STATE_DIR') ?? `.ambit/state/${instanceId ?? ''}`;
  const diagnostics = text('AMBIT_DIAGNOSTICS') ?? 'off';
  if (diagnostics !== 'stdout' && diagnostics !== 'off')
    throw invalid(`AMBIT_DIAGNOSTICS must be "stdout" or "off" (got "${diagnostics}")`);
  const logLevel = text('AMBIT_LOG_LEVEL') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw invalid(`AMBIT_LOG_LEVEL must be debug, info, warn or error (got "${logLevel}")`);

  const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
    v === undefined ? {} : ({ [key]: v } as { [P in K]: V });

  const healthPort = port('AMBIT_HEALTH_PORT');
  const health =
    healthPort === undefined
      ? undefined
      : Object.freeze({
          host: text('AMBIT_HEALTH_HOST') ?? DEFAULTS.healthHost,
          port: healthPort,
          maxEventLoopLagMs: int('AMBIT_MAX_EVENT_LOOP_LAG_MS') ?? DEFAULTS.maxEventLoopLagMs,
        });

  return Object.freeze({
    help,
    health,
    module,
    exportName,
    diagnostics,
    logLevel: logLevel as LogLevel,
    stopTimeoutMs: int('AMBIT_STOP_TIMEOUT_MS') ?? DEFAULTS.stopTimeoutMs,
    loadTimeoutMs: DEFAULTS.loadTimeoutMs,
    runtime: Object.freeze({
      brokers,
      registryUrl: text('SCHEMA_REGISTRY_URL') ?? DEFAULTS.registryUrl,
      namespace: text('AMBIT_NAMESPACE') ?? DEFAULTS.namespace,
      ...optional('environment', text('AMBIT_ENV')),
      instanceId: instanceId ?? '',
      // Absolute, so the layout does not depend on where a restart happens to run from.
      stateDir: isAbsolute(stateDir) ? stateDir : resolve(cwd, stateDir),
      ...optional('commitIntervalMs', int('AMBIT_COMMIT_INTERVAL_MS')),
      ...optional('sessionTimeoutMs', int('AMBIT_SESSION_TIMEOUT_MS')),
      ...optional('transactionTimeoutMs', int('AMBIT_TRANSACTION_TIMEOUT_MS')),
      ...optional('maxInFlight', int('AMBIT_MAX_IN_FLIGHT')),
      ...optional('maxDistance', int('AMBIT_MAX_DISTANCE')),
      ...optional('stateCacheMaxBytes', int('AMBIT_STATE_CACHE_MAX_BYTES')),
      ...optional('handlerTimeoutMs', int('AMBIT_HANDLER_TIMEOUT_MS')),
      ...optional('handlerAttempts', int('AMBIT_HANDLER_ATTEMPTS')),
      ...optional('maxCrashAttempts', int('AMBIT_MAX_CRASH_ATTEMPTS')),
      ...optional('forcedRestoreProbability', probability('AMBIT_FORCED_RESTORE')),
      stateReset: flag('AMBIT_STATE_RESET'),
      registerSchemas: flag('AMBIT_REGISTER_SCHEMAS'),
      faultPauseBeforeCommit: flag('AMBIT_FAULT_PAUSE_BEFORE_COMMIT'),
    }),
  });
}
