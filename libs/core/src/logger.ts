/** The logging contract every lib takes; services bind it to pino. Never log raw payloads. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/** A logger that drops everything; the default in libraries. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** Writes one JSON line per entry to stderr; for CLIs and tests without pino. */
export function consoleLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'info', base: Record<string, unknown> = {}): Logger {
  const order = { debug: 10, info: 20, warn: 30, error: 40 } as const;
  const emit =
    (l: keyof typeof order) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (order[l] < order[level]) return;
      process.stderr.write(JSON.stringify({ level: l, time: new Date().toISOString(), ...base, msg, ...fields }) + '\n');
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => consoleLogger(level, { ...base, ...fields }),
  };
}
