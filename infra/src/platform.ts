/**
 * What callers of the launcher see (the contract); the mechanics are in start-platform.ts,
 * stop-platform.ts and status.ts.
 */
import type { AmbitError } from '@ambit/core';

export interface RunningPlatform {
  readonly kafka: {
    readonly brokers: string[];
    readonly clusterId: string;
    readonly port: number;
    /** Undefined when an already running broker was reused and its pid is unknown. */
    readonly pid: number | undefined;
    /** An already running broker of this cluster was found on the port and reused. */
    readonly reused: boolean;
    /** From launch (or reuse) to transactions working. */
    readonly readyMs: number;
  };
  readonly registry: {
    readonly url: string;
    readonly pid: number | undefined;
    readonly reused: boolean;
    /** From launch (or reuse) to the global compatibility rule being in place. */
    readonly readyMs: number;
  };
  readonly dataDir: string;
  /**
   * Settles (never rejects) with INFRA_PROCESS_EXITED when a process this call launched
   * exits before `stop()`; stays pending otherwise.
   */
  readonly crashed: Promise<AmbitError>;
  /** Stops what this call launched (never a reused process); deletes a test profile's data dir. */
  stop(): Promise<void>;
}

export interface ComponentStatus {
  /** From the pid file, when its process is alive and carries our instance tag. */
  readonly pid: number | undefined;
  /** Answers on its port (Kafka: with this data dir's cluster id; registry: its API responds). */
  readonly ready: boolean;
  readonly address: string;
  /** Set when the port is answered by a broker of another cluster. */
  readonly foreignClusterId?: string;
}

export interface PlatformStatus {
  readonly dataDir: string;
  readonly clusterId: string | undefined;
  readonly kafka: ComponentStatus;
  readonly registry: ComponentStatus;
}
