/**
 * The host's life: parse config, load the agent, start it on the runtime, run until a
 * signal or a runtime failure, stop gracefully. Returns the exit code; `main.ts` exits.
 *
 *   exit 2  bad flags/environment, agent module or export not loadable, runtime config invalid,
 *           health port not bindable
 *   exit 1  startAgent failed, the runtime stopped with an error, or a graceful stop failed
 *           or outlived AMBIT_STOP_TIMEOUT_MS, or a second signal cut it short
 *   exit 0  stopped by SIGTERM/SIGINT (after `running.stop()`), or the runtime ended by itself
 *
 * Every failure prints one line `error [<CODE>]: <message>` on stderr.
 */
import type { AgentDefinition } from '@ambit/agent-api';
import { isAmbitError, type Logger } from '@ambit/core';
import { DIAGNOSTIC_CHANNELS, resolveRuntimeConfig, startAgent, type AgentStatus, type RunningAgent } from '@ambit/runtime';
import { HELP, parseHostConfig, type Env, type HostConfig } from './config.ts';
import { writeDiagnostics } from './diagnostics.ts';
import { startHealthServer, type HealthServer } from './health.ts';
import { loadAgent } from './load-agent.ts';
import { createHostLogger } from './logger.ts';

export const EXIT = Object.freeze({ OK: 0, FAILED: 1, CONFIG: 2 });

type Signal = 'SIGTERM' | 'SIGINT';

/** What the host needs from its process; `main.ts` passes the real one, tests a fake. */
export interface HostIo {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly cwd: string;
  /** stdout: diagnostics lines and --help. */
  readonly out: (line: string) => void;
  /** stderr: the `error [CODE]: ...` line. */
  readonly err: (line: string) => void;
  readonly onSignal: (signal: Signal, listener: () => void) => void;
  readonly offSignal: (signal: Signal, listener: () => void) => void;
  readonly start?: (agent: AgentDefinition, config: ReturnType<typeof resolveRuntimeConfig>) => Promise<RunningAgent>;
  readonly load?: typeof loadAgent;
  readonly logger?: (config: HostConfig) => Logger;
}

const describe = (e: unknown): string => {
  if (isAmbitError(e)) return `error [${e.code}]: ${e.message}`;
  return `error [INTERNAL]: ${e instanceof Error ? e.message : String(e)}`;
};

export async function runHost(io: HostIo): Promise<number> {
  let config: HostConfig;
  try {
    config = parseHostConfig(io.argv, io.env, io.cwd);
  } catch (e) {
    io.err(describe(e));
    return EXIT.CONFIG;
  }
  if (config.help) {
    io.out(HELP);
    return EXIT.OK;
  }
  const log = (io.logger ?? ((c) => createHostLogger(c.logLevel, { instance: c.runtime.instanceId })))(config);

  // Signals are watched from the start: a SIGTERM during a slow start still stops gracefully.
  let signalled: Signal | undefined;
  let onStop!: (s: Signal) => void;
  let onForce!: () => void;
  const stopRequested = new Promise<Signal>((res) => (onStop = res));
  const forced = new Promise<'forced'>((res) => (onForce = () => res('forced')));
  const listeners = (['SIGTERM', 'SIGINT'] as const).map((signal) => {
    const fn = (): void => {
      if (signalled === undefined) {
        signalled = signal;
        log.info('stopping', { signal });
        onStop(signal);
      } else {
        onForce();
      }
    };
    io.onSignal(signal, fn);
    return [signal, fn] as const;
  });
  const unsubscribe = config.diagnostics === 'stdout' ? writeDiagnostics(Object.values(DIAGNOSTIC_CHANNELS), io.out) : (): void => {};
  let health: HealthServer | undefined;
  let current: (() => AgentStatus) | undefined;

  try {
    let agent: AgentDefinition;
    let runtimeConfig: ReturnType<typeof resolveRuntimeConfig>;
    try {
      agent = await (io.load ?? loadAgent)(config.module, config.exportName, { cwd: io.cwd, timeoutMs: config.loadTimeoutMs });
      runtimeConfig = resolveRuntimeConfig({ ...config.runtime, logger: log });
    } catch (e) {
      io.err(describe(e));
      return EXIT.CONFIG;
    }
    if (config.health) {
      try {
        health = await startHealthServer({
          host: config.health.host,
          port: config.health.port,
          limits: {
            maxLoopStallMs: runtimeConfig.maxPollIntervalMs,
            maxTxnAgeMs: runtimeConfig.transactionTimeoutMs,
            maxEventLoopLagMs: config.health.maxEventLoopLagMs,
          },
          status: () => current?.(),
        });
        log.info('health endpoints listening', { host: config.health.host, port: health.port });
      } catch (e) {
        io.err(
          `error [CONFIG_INVALID]: AMBIT_HEALTH_PORT ${config.health.port} on ${config.health.host} cannot be bound: ${(e as Error).message}`,
        );
        return EXIT.CONFIG;
      }
    }
    log.info('starting agent', { agent: agent.name, version: agent.version, namespace: runtimeConfig.namespace });

    let running: RunningAgent;
    try {
      const started = await Promise.race([(io.start ?? startAgent)(agent, runtimeConfig), forced]);
      if (started === 'forced') {
        io.err('error [INTERNAL]: second signal during start; exiting without a graceful stop');
        return EXIT.FAILED;
      }
      running = started;
      current = () => started.status();
    } catch (e) {
      io.err(describe(e));
      return EXIT.FAILED;
    }
    log.info('agent running', { agent: agent.name });

    const outcome = await Promise.race([
      running.stopped.then(
        () => ({ kind: 'ended' as const }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      ),
      stopRequested.then(() => ({ kind: 'signal' as const })),
    ]);
    if (outcome.kind === 'failed') {
      io.err(describe(outcome.error));
      return EXIT.FAILED;
    }
    if (outcome.kind === 'ended') {
      log.info('agent stopped by itself');
      return EXIT.OK;
    }

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), config.stopTimeoutMs);
      timer.unref();
    });
    try {
      const stop = await Promise.race([running.stop().then(() => 'stopped' as const), deadline, forced]);
      if (stop === 'timeout') {
        io.err(`error [INTERNAL]: graceful stop did not finish within ${config.stopTimeoutMs} ms`);
        return EXIT.FAILED;
      }
      if (stop === 'forced') {
        io.err('error [INTERNAL]: second signal during stop; exiting without finishing it');
        return EXIT.FAILED;
      }
    } catch (e) {
      io.err(describe(e));
      return EXIT.FAILED;
    } finally {
      clearTimeout(timer);
    }
    log.info('stopped', { signal: signalled });
    return EXIT.OK;
  } finally {
    await health?.close();
    unsubscribe();
    for (const [signal, fn] of listeners) io.offSignal(signal, fn);
  }
}
