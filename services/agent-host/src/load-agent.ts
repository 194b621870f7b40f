/**
 * Loads the agent a host runs from a module given on the command line. Every failure is
 * CONFIG_INVALID "cannot load agent module <x>: <reason>", so an operator sees at once
 * whether the path, the export or the module's own code is wrong.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentDefinition } from '@ambit/agent-api';
import { AmbitError } from '@ambit/core';

export interface LoadAgentOptions {
  /** Where relative paths and package names are resolved from. */
  readonly cwd: string;
  /** A module whose top level never settles must not hang the host. */
  readonly timeoutMs: number;
  /** Test seam. */
  readonly importModule?: (specifier: string) => Promise<Record<string, unknown>>;
}

const looksLikePath = (spec: string): boolean =>
  spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:') || /\.(c|m)?[jt]sx?$/.test(spec);

/** The specifier to import: a file URL for paths, for packages the file they resolve to from `cwd`. */
export function resolveAgentSpecifier(spec: string, cwd: string): string {
  if (spec.startsWith('file:')) return spec;
  const path = resolve(cwd, spec);
  if (looksLikePath(spec) || existsSync(path)) return pathToFileURL(path).href;
  try {
    // Package names resolve from the working directory (the host's own dependencies are not the place).
    return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(spec)).href;
  } catch {
    return spec; // let import() report why (ESM-only exports, missing package)
  }
}

/** Whether `v` has the shape `defineAgent` returns. */
export function isAgentDefinition(v: unknown): v is AgentDefinition {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.name === 'string' &&
    typeof a.version === 'string' &&
    typeof a.inputs === 'object' &&
    a.inputs !== null &&
    typeof a.stores === 'object' &&
    a.stores !== null &&
    typeof a.handlers === 'object' &&
    a.handlers !== null
  );
}

export async function loadAgent(spec: string, exportName: string | undefined, options: LoadAgentOptions): Promise<AgentDefinition> {
  const fail = (reason: string, cause?: unknown): AmbitError =>
    new AmbitError('CONFIG_INVALID', `cannot load agent module ${spec}: ${reason}`, cause === undefined ? {} : { cause });
  const specifier = resolveAgentSpecifier(spec, options.cwd);
  if (specifier.startsWith('file:') && !existsSync(new URL(specifier))) throw fail('no such file');

  const importModule = options.importModule ?? ((s: string) => import(s) as Promise<Record<string, unknown>>);
  let timer: NodeJS.Timeout | undefined;
  let mod: Record<string, unknown>;
  try {
    mod = await Promise.race([
      importModule(specifier),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(fail(`import did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);
        timer.unref();
      }),
    ]);
  } catch (e) {
    if (e instanceof AmbitError && e.message.startsWith(`cannot load agent module ${spec}:`)) throw e;
    throw fail(firstLine(e), e);
  } finally {
    clearTimeout(timer);
  }

  const names = Object.keys(mod).sort();
  const available = names.length === 0 ? 'it has no exports' : `its exports: ${names.join(', ')}`;
  if (exportName !== undefined) {
    if (!(exportName in mod)) throw fail(`no export "${exportName}" (${available})`);
    const v = mod[exportName];
    if (!isAgentDefinition(v)) throw fail(`export "${exportName}" is not an agent (expected the result of defineAgent)`);
    return v;
  }
  for (const candidate of ['default', 'agent']) {
    if (isAgentDefinition(mod[candidate])) return mod[candidate];
  }
  throw fail(`neither the default export nor "agent" is an agent; pick one with --agent (${available})`);
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n', 1)[0] ?? m;
}
