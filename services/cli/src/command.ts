/**
 * The contract every `ambit` subcommand implements. A command declares its words
 * (`topics apply`), its flags (node:util parseArgs options) and a `run` that returns the
 * process exit code; `cli.ts` does the parsing, usage and error reporting for all of them.
 */
import type { ParseArgsConfig } from 'node:util';

/** Exit codes, stable for scripts and CI. */
export const EXIT = Object.freeze({
  OK: 0,
  /** Bad flags, bad configuration, or an operation failed. */
  ERROR: 1,
  /** Topics differ from `schemas/topics.yaml` (never fixed automatically). */
  DRIFT: 2,
});

/** Where a command writes; injectable so tests need no process. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Environment variables for defaults (KAFKA_BROKERS, ...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  /** The words that select the command, e.g. `['topics', 'apply']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** One line per flag, shown in usage. */
  readonly help: readonly string[];
  readonly options: NonNullable<ParseArgsConfig['options']>;
  run(flags: FlagValues, io: CommandIo): Promise<number>;
}

/** A usage mistake: `cli.ts` prints it with the command's usage and exits 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
