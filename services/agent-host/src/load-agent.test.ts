import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { loadAgent, resolveAgentSpecifier } from './load-agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-host-load-'));
const agentSource = (name: string) => `{ name: '${name}', version: '1', inputs: {}, stores: {}, handlers: {} }`;
writeFileSync(join(dir, 'default.mjs'), `export default ${agentSource('d')};\nexport const other = ${agentSource('o')};\n`);
writeFileSync(join(dir, 'named.mjs'), `export const agent = ${agentSource('n')};\nexport const helper = 1;\n`);
writeFileSync(join(dir, 'none.mjs'), `export const helper = 1;\n`);
writeFileSync(join(dir, 'throws.mjs'), `throw new Error('top-level failure\\nsecond line');\n`);
writeFileSync(join(dir, 'hangs.mjs'), `await new Promise(() => {});\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (spec: string, exportName?: string, timeoutMs = 5000) => loadAgent(spec, exportName, { cwd: dir, timeoutMs });

async function loadError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isAmbitError(e, 'CONFIG_INVALID')).toBe(true);
  return (e as Error).message;
}

describe('resolveAgentSpecifier', () => {
  it('turns paths into file URLs relative to the working directory', () => {
    expect(resolveAgentSpecifier('default.mjs', dir)).toBe(pathToFileURL(join(dir, 'default.mjs')).href);
    expect(resolveAgentSpecifier('./x/y.ts', dir)).toBe(pathToFileURL(join(dir, 'x/y.ts')).href);
    expect(resolveAgentSpecifier('/abs/a.ts', dir)).toBe('file:///abs/a.ts');
  });

  it('leaves an unresolvable package name to import()', () => {
    expect(resolveAgentSpecifier('@nobody/nothing', dir)).toBe('@nobody/nothing');
  });
});

describe('loadAgent', () => {
  it('takes the default export, then "agent", or the named one', async () => {
    expect((await load('default.mjs')).name).toBe('d');
    expect((await load('named.mjs')).name).toBe('n');
    expect((await load('default.mjs', 'other')).name).toBe('o');
  });

  it('says what is wrong, prefixed with the module', async () => {
    expect(await loadError(load('missing.ts'))).toBe('cannot load agent module missing.ts: no such file');
    expect(await loadError(load('@nobody/nothing'))).toMatch(/^cannot load agent module @nobody\/nothing: .*nothing/);
    expect(await loadError(load('none.mjs'))).toBe(
      'cannot load agent module none.mjs: neither the default export nor "agent" is an agent; pick one with --agent (its exports: helper)',
    );
    expect(await loadError(load('named.mjs', 'nope'))).toBe(
      'cannot load agent module named.mjs: no export "nope" (its exports: agent, helper)',
    );
    expect(await loadError(load('named.mjs', 'helper'))).toMatch(/export "helper" is not an agent/);
    expect(await loadError(load('throws.mjs'))).toBe('cannot load agent module throws.mjs: top-level failure');
  });

  it('gives up on a module whose import never finishes', async () => {
    expect(await loadError(load('hangs.mjs', undefined, 200))).toBe(
      'cannot load agent module hangs.mjs: import did not finish within 200 ms',
    );
  });
});
