/** `ambit` entry point (`pnpm ambit ...`): runs one command and exits with its code. */
import { run } from './cli.ts';

process.exitCode = await run(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  env: process.env,
});
