/**
 * `ambit` dispatch: picks the command from its words, parses its flags strictly, turns
 * usage mistakes into usage + exit 1 and Ambit errors into one line with their code.
 * New commands (publish, tail, escalations, replay) join by being added to COMMANDS.
 */
import { parseArgs } from 'node:util';
import { isAmbitError } from '@ambit/core';
import { EXIT, UsageError, type Command, type CommandIo } from './command.ts';
import { dlqRedrive } from './commands/dlq.ts';
import { topicsApply, topicsList } from './commands/topics.ts';

export const COMMANDS: readonly Command[] = [topicsApply, topicsList, dlqRedrive];

/** Runs `ambit <argv...>`; resolves to the exit code. */
export async function run(argv: readonly string[], io: CommandIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag === -1 ? [...argv] : argv.slice(0, firstFlag);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const command = commands.find((c) => c.path.length === words.length && c.path.every((w, i) => words[i] === w));

  if (!command) {
    if (wantsHelp || argv.length === 0) {
      (argv.length === 0 ? io.err : io.out)(usage(commands, words));
      return argv.length === 0 ? EXIT.ERROR : EXIT.OK;
    }
    io.err(`ambit: unknown command "${words.join(' ')}"`);
    io.err(usage(commands, words));
    return EXIT.ERROR;
  }
  if (wantsHelp) {
    io.out(commandUsage(command));
    return EXIT.OK;
  }

  try {
    const { values } = parseArgs({
      args: argv.slice(command.path.length),
      options: command.options,
      strict: true,
      allowPositionals: false,
    });
    return await command.run(values, io);
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      io.err(`ambit ${command.path.join(' ')}: ${(e as Error).message}`);
      io.err(commandUsage(command));
      return EXIT.ERROR;
    }
    if (isAmbitError(e)) {
      io.err(`error [${e.code}]: ${e.message}`);
      return EXIT.ERROR;
    }
    io.err(`error: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT.ERROR;
  }
}

function usage(commands: readonly Command[], words: readonly string[]): string {
  // `ambit topics` lists only the topics commands.
  const matching = commands.filter((c) => words.every((w, i) => c.path[i] === w));
  const shown = matching.length > 0 ? matching : commands;
  const width = Math.max(...shown.map((c) => c.path.join(' ').length));
  return ['usage: ambit <command> [flags]   (ambit <command> --help for its flags)', '', 'commands:']
    .concat(shown.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`))
    .join('\n');
}

function commandUsage(c: Command): string {
  return [`usage: ambit ${c.path.join(' ')} [flags]`, `  ${c.summary}`, '', 'flags:', ...c.help.map((h) => `  ${h}`)].join('\n');
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
