/**
 * Finding a Java runtime. Kafka 4.x needs 17+ and takes the usual `JAVA_HOME` / `java` on
 * PATH; Apicurio Registry 3.3 needs 21+, which machines often have only beside an older
 * default JDK, so for it we also scan the usual JVM directories (docs/adr/0003).
 */
import { execFile } from 'node:child_process';
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { AmbitError } from '@ambit/core';

export interface JavaRuntime {
  /** Path to the `java` executable (or plain `java` when taken from PATH). */
  readonly bin: string;
  readonly major: number;
  /** How it was found, for messages. */
  readonly source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Major version from `java -version` output: `openjdk version "17.0.15"`, `java version "1.8.0_392"`, `"25"`. */
export function parseJavaVersion(output: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/** Runs `<bin> -version`; undefined when it cannot run. */
export async function javaVersion(bin: string, env: Env): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(bin, ['-version'], { env: env as NodeJS.ProcessEnv, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) return resolve(undefined);
      resolve(parseJavaVersion(`${stderr}\n${stdout}`));
    });
  });
}

function homeBin(home: string): string {
  return join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
}

async function candidate(bin: string, source: string, env: Env): Promise<JavaRuntime | undefined> {
  const major = await javaVersion(bin, env);
  return major === undefined ? undefined : { bin, major, source };
}

/** Kafka's Java: `JAVA_HOME`, else `java` on PATH; at least `min`. */
export async function findKafkaJava(env: Env, min = 17): Promise<JavaRuntime> {
  const home = env.JAVA_HOME?.trim();
  const found = home ? await candidate(homeBin(home), `JAVA_HOME=${home}`, env) : await candidate('java', '`java` on PATH', env);
  const looked = home ? `JAVA_HOME=${home}` : '`java` on PATH (JAVA_HOME is not set)';
  if (!found) {
    throw new AmbitError(
      'INFRA_JAVA_MISSING',
      `Kafka needs Java ${min}+: no runnable Java at ${looked}. Install a JDK ${min}+ or set JAVA_HOME.`,
    );
  }
  if (found.major < min) {
    throw new AmbitError(
      'INFRA_JAVA_MISSING',
      `Kafka needs Java ${min}+, but ${found.source} is Java ${found.major}. Set JAVA_HOME to a JDK ${min}+.`,
    );
  }
  return found;
}

const JVM_DIRS = ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines'];

/** Homes of installed JDKs under the usual directories (macOS bundles keep theirs in Contents/Home). */
async function installedJavaHomes(): Promise<string[]> {
  const homes: string[] = [];
  for (const dir of JVM_DIRS) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) homes.push(dir.startsWith('/Library') ? join(dir, n, 'Contents', 'Home') : join(dir, n));
  }
  return homes;
}

/**
 * The registry's Java: `AMBIT_REGISTRY_JAVA_HOME` (must qualify), else `JAVA_HOME` if it
 * qualifies, else the highest qualifying JDK under the JVM directories, else `java` on PATH.
 */
export async function findRegistryJava(env: Env, min = 21): Promise<JavaRuntime> {
  const explicit = env.AMBIT_REGISTRY_JAVA_HOME?.trim();
  if (explicit) {
    const j = await candidate(homeBin(explicit), `AMBIT_REGISTRY_JAVA_HOME=${explicit}`, env);
    if (!j || j.major < min) {
      throw new AmbitError(
        'INFRA_JAVA_MISSING',
        `AMBIT_REGISTRY_JAVA_HOME=${explicit} ${j ? `is Java ${j.major}` : 'has no runnable bin/java'}; Apicurio Registry needs Java ${min}+`,
      );
    }
    return j;
  }
  const looked: string[] = [];
  const home = env.JAVA_HOME?.trim();
  if (home) {
    looked.push(`JAVA_HOME=${home}`);
    const j = await candidate(homeBin(home), `JAVA_HOME=${home}`, env);
    if (j && j.major >= min) return j;
  }
  // Several names often point at one JDK (Debian's java-1.17.0-openjdk-amd64 -> java-17-...).
  const bins = new Map<string, string>();
  for (const h of await installedJavaHomes()) {
    const real = await realpath(homeBin(h)).catch(() => undefined);
    if (real && !bins.has(real)) bins.set(real, h);
  }
  looked.push(...JVM_DIRS.map((d) => `${d}/*`));
  const scanned = await Promise.all([...bins].map(([bin, h]) => candidate(bin, `${h}`, env)));
  const best = scanned.filter((j): j is JavaRuntime => j !== undefined && j.major >= min).sort((a, b) => b.major - a.major)[0];
  if (best) return best;
  looked.push('`java` on PATH');
  const onPath = await candidate('java', '`java` on PATH', env);
  if (onPath && onPath.major >= min) return onPath;
  throw new AmbitError(
    'INFRA_JAVA_MISSING',
    `Apicurio Registry needs Java ${min}+; none found (looked at ${looked.join(', ')}). ` +
      `Install a JDK ${min}+ or set AMBIT_REGISTRY_JAVA_HOME.`,
  );
}
