export { COMMANDS, run } from './cli.ts';
export { EXIT, UsageError } from './command.ts';
export type { Command, CommandIo, FlagValues } from './command.ts';
export { DEFAULTS, resolveConfig } from './config.ts';
export type { CliConfig } from './config.ts';
export { registerSchemas, topicsApply, topicsList } from './commands/topics.ts';
export type { ApplyReport, SchemaOutcome } from './commands/topics.ts';
