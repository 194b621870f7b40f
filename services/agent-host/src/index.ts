export { DEFAULTS, HELP, parseHostConfig } from './config.ts';
export type { Env, HostConfig, LogLevel } from './config.ts';
export { formatDiagnostic, writeDiagnostics } from './diagnostics.ts';
export { EXIT, runHost } from './host.ts';
export type { HostIo } from './host.ts';
export { isAgentDefinition, loadAgent, resolveAgentSpecifier } from './load-agent.ts';
export type { LoadAgentOptions } from './load-agent.ts';
