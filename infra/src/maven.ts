/**
 * Resolving the broker's and the registry's jars from Maven Central into the cache.
 * The POMs under infra/kafka and infra/registry pin the versions; a marker file written
 * after a complete resolution is the only proof a cache directory is usable, so an
 * interrupted copy is redone instead of half-used.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AmbitError, type Logger } from '@ambit/core';
import type { MavenConfig } from './config.ts';

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MARKER = '.ambit-complete';

/** Reads `<name>value</name>` from a POM's properties: the POM stays the one place a version is written. */
export async function pomProperty(pomFile: string, name: string): Promise<string> {
  const text = await readFile(pomFile, 'utf8');
  const m = new RegExp(`<${name.replace(/\./g, '\\.')}>\\s*([^<\\s]+)\\s*</`).exec(text);
  if (!m?.[1]) throw new AmbitError('CONFIG_INVALID', `${pomFile} has no <${name}> property`);
  return m[1];
}

// Debian's Maven colours some lines even with -B.
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

/** `[ERROR]` lines from Maven's output, without the trailing help boilerplate. */
export function mavenErrorLines(output: string): string[] {
  return output
    .replace(ANSI_COLOUR, '')
    .split(/\r?\n/)
    .filter((l) => l.startsWith('[ERROR]'))
    .map((l) =>
      l
        .replace(/^\[ERROR\]\s?/, '')
        .replace(/\s*-> \[Help \d+\]$/, '')
        .trimEnd(),
    )
    .filter((l) => l !== '' && !/^(To see the full stack trace|Re-run Maven|For more information|\[Help \d+\])/.test(l));
}

export interface MavenGoal {
  /** Directory holding pom.xml (Maven runs there). */
  readonly projectDir: string;
  readonly goal: 'copy-dependencies' | 'unpack-dependencies';
  readonly outputDir: string;
}

export async function runMaven(goal: MavenGoal, maven: MavenConfig, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const markers = `${goal.outputDir}.markers`;
  await runMavenCommand(
    {
      projectDir: goal.projectDir,
      args: [
        `${DEPENDENCY_PLUGIN}:${goal.goal}`,
        `-DoutputDirectory=${goal.outputDir}`,
        // unpack-dependencies skips artifacts it has a marker for, even into a new output
        // directory; markers beside the output make every resolution start clean.
        `-DmarkersDirectory=${markers}`,
      ],
      what: goal.goal,
      purpose: 'so the launcher can fetch the Kafka and Apicurio jars from Maven Central',
    },
    maven,
    env,
  ).finally(() => rm(markers, { recursive: true, force: true }));
}

export interface MavenCommand {
  /** Directory holding pom.xml (Maven runs there). */
  readonly projectDir: string;
  /** Goals and properties, after the batch/quiet/offline/local-repo flags every run gets. */
  readonly args: readonly string[];
  /** Names the run in errors, e.g. `package`. */
  readonly what: string;
  /** Why Maven is needed, for the "not on PATH" error, e.g. `to build bench/peers`. */
  readonly purpose: string;
}

/** Runs Maven (batch, quiet, AMBIT_MAVEN_* settings); failures are INFRA_MAVEN_FAILED with Maven's own errors. */
export async function runMavenCommand(
  command: MavenCommand,
  maven: MavenConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    ...(maven.offline ? ['-o'] : []),
    ...(maven.repoLocal ? [`-Dmaven.repo.local=${maven.repoLocal}`] : []),
    ...maven.extraArgs,
    ...command.args,
  ];
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn('mvn', args, { cwd: command.projectDir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new AmbitError('INFRA_MAVEN_FAILED', `Maven (\`mvn\`) is not on PATH: install Maven 3.6+ ${command.purpose}`, { cause: e }));
      } else reject(new AmbitError('INFRA_MAVEN_FAILED', `could not run mvn: ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0) {
    const errors = mavenErrorLines(output.text);
    const shown = (errors.length > 0 ? errors : output.text.trim().split('\n').slice(-10)).slice(0, 12);
    throw new AmbitError(
      'INFRA_MAVEN_FAILED',
      `mvn ${command.what} in ${command.projectDir} failed (exit ${output.code}):\n  ${shown.join('\n  ')}`,
      { details: { args } },
    );
  }
}

/**
 * Makes sure `targetDir` holds a complete resolution: returns at once when its marker
 * exists, else resolves into a sibling temp dir and renames it into place, so a second
 * launcher racing this one never sees a partial directory.
 */
export async function ensureResolved(
  targetDir: string,
  resolveInto: (tmpDir: string) => Promise<void>,
  logger: Logger,
): Promise<{ dir: string; resolved: boolean }> {
  if (existsSync(join(targetDir, MARKER))) return { dir: targetDir, resolved: false };
  const tmp = `${targetDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  logger.info('resolving with Maven (first run only)', { into: targetDir });
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await resolveInto(tmp);
    await writeFile(join(tmp, MARKER), new Date().toISOString() + '\n');
    // A directory without a marker is an interrupted earlier attempt: replace it.
    if (!existsSync(join(targetDir, MARKER))) {
      await rm(targetDir, { recursive: true, force: true });
      await rename(tmp, targetDir).catch((e: unknown) => {
        // Another launcher finished first; its copy is as good as ours.
        if (!existsSync(join(targetDir, MARKER))) throw e;
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { dir: targetDir, resolved: true };
}
