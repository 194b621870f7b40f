/**
 * Agent host entry point:
 *   node --import tsx services/agent-host/src/main.ts --module <path|package> [--agent <export>]
 * Configuration through the environment (see `--help`); exit codes in host.ts.
 */
import { runHost } from './host.ts';

const code = await runHost({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  onSignal: (signal, fn) => process.on(signal, fn),
  offSignal: (signal, fn) => process.off(signal, fn),
});
// Explicit: client handles of a runtime that failed to stop could keep the event loop alive.
process.exit(code);
