import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mavenErrorLines, pomProperty } from './maven.ts';

describe('mavenErrorLines', () => {
  it('keeps the [ERROR] lines and drops the help boilerplate', () => {
    const out = [
      '[INFO] Scanning for projects...',
      '\x1b[0m\x1b[0m[ERROR] Failed to execute goal on project kafka-runtime: Could not resolve dependencies -> [Help 1]',
      '[ERROR] ',
      '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
      '[ERROR] Re-run Maven using the -X switch to enable full debug logging.',
      '[ERROR] For more information about the errors and possible solutions, please read the following articles:',
      '[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/DependencyResolutionException',
    ].join('\n');
    expect(mavenErrorLines(out)).toEqual(['Failed to execute goal on project kafka-runtime: Could not resolve dependencies']);
  });
});

describe('pomProperty', () => {
  it('reads the pinned versions from the real POMs', async () => {
    const infra = new URL('..', import.meta.url).pathname;
    expect(await pomProperty(join(infra, 'kafka', 'pom.xml'), 'kafka.version')).toMatch(/^4\.\d+\.\d+$/);
    expect(await pomProperty(join(infra, 'registry', 'pom.xml'), 'apicurio.version')).toMatch(/^3\.\d+\.\d+$/);
  });

  it('fails clearly when the property is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ambit-pom-'));
    try {
      await writeFile(join(dir, 'pom.xml'), '<project><properties><a.b>1</a.b></properties></project>');
      await expect(pomProperty(join(dir, 'pom.xml'), 'a.c')).rejects.toThrow(/no <a.c> property/);
      expect(await pomProperty(join(dir, 'pom.xml'), 'a.b')).toBe('1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
