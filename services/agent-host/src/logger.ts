/** The host binds the libraries' `Logger` contract to pino, writing JSON lines to stderr. */
import pino from 'pino';
import type { Logger } from '@ambit/core';
import type { LogLevel } from './config.ts';

export function createHostLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  // Synchronous: the host exits with process.exit, which must not drop the last lines.
  const root = pino(
    { level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
  return wrap(root);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  };
}
