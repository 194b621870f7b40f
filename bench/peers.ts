/**
 * Builds the Kafka Streams peers in bench/peers (Maven) and returns how to run them: the
 * Java to use and a classpath holding the apps (dev.ambit.bench.CopyApp / FoldApp) and
 * kafka-tools (ProducerPerformance / ConsumerPerformance). A build is skipped while its
 * stamp is newer than the POM and every file under src, so re-runs cost nothing.
 *   AMBIT_MAVEN_OFFLINE=1, AMBIT_MAVEN_REPO_LOCAL, AMBIT_MAVEN_OPTS as for infra.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmbitError } from '@ambit/core';
import { findKafkaJava, mavenConfigFromEnv, pomProperty, runMavenCommand } from '@ambit/infra';

export interface PeerBuild {
  /** The `java` executable to run the peers (and the Kafka tools) with. */
  readonly java: string;
  /** The app jar then every runtime dependency, ':'-joined. */
  readonly classpath: string;
  /** `<kafka.version>` from the POM. */
  readonly kafkaVersion: string;
  /** The Java's `java.version`, e.g. 17.0.15. */
  readonly javaVersion: string;
  /** Time the Maven run took; 0 when the build was up to date. */
  readonly buildMs: number;
}

const PEERS_DIR = fileURLToPath(new URL('./peers/', import.meta.url));
const POM = join(PEERS_DIR, 'pom.xml');
const TARGET = join(PEERS_DIR, 'target');
// artifactId-version from the POM.
const JAR = join(TARGET, 'ambit-bench-peers-0.1.0.jar');
const LIB = join(TARGET, 'lib');
// Written after a complete build: Maven may leave an unchanged jar's mtime alone, and an
// interrupted copy-dependencies leaves target/lib half-filled, so neither proves freshness.
const STAMP = join(TARGET, '.ambit-built');

type Env = NodeJS.ProcessEnv;

export async function buildPeers(env: Env = process.env): Promise<PeerBuild> {
  const java = await findKafkaJava(env);
  const props = await javaProperties(java.bin, env);
  const kafkaVersion = await pomProperty(POM, 'kafka.version');
  let buildMs = 0;
  if (!(await upToDate())) {
    // javac, not just a runtime: Maven compiles with the JDK at JAVA_HOME.
    if (!existsSync(join(props.home, 'bin', process.platform === 'win32' ? 'javac.exe' : 'javac'))) {
      throw new AmbitError(
        'INFRA_JAVA_MISSING',
        `building bench/peers needs a JDK 17+, but ${java.source} (${props.home}) has no javac. Set JAVA_HOME to a JDK.`,
      );
    }
    const start = Date.now();
    // Stale jars from an older POM would otherwise stay on the classpath.
    await rm(STAMP, { force: true });
    await rm(LIB, { recursive: true, force: true });
    await runMavenCommand(
      {
        projectDir: PEERS_DIR,
        args: ['package', 'dependency:copy-dependencies', `-DoutputDirectory=${LIB}`, '-DincludeScope=runtime'],
        what: 'package',
        purpose: 'to build the Kafka Streams peers in bench/peers',
      },
      mavenConfigFromEnv(env),
      { ...env, JAVA_HOME: props.home },
    );
    await writeFile(STAMP, new Date().toISOString() + '\n');
    buildMs = Date.now() - start;
  }
  const libs = (await readdir(LIB)).filter((f) => f.endsWith('.jar')).sort();
  return {
    java: java.bin,
    classpath: [JAR, ...libs.map((f) => join(LIB, f))].join(':'),
    kafkaVersion,
    javaVersion: props.version,
    buildMs,
  };
}

async function upToDate(): Promise<boolean> {
  if (!existsSync(JAR) || !existsSync(LIB) || !existsSync(STAMP)) return false;
  const built = (await stat(STAMP)).mtimeMs;
  // Directories too: deleting or renaming a source file changes only its directory's mtime.
  const sources = [POM, join(PEERS_DIR, 'src'), ...(await pathsUnder(join(PEERS_DIR, 'src')))];
  for (const f of sources) if ((await stat(f)).mtimeMs > built) return false;
  return true;
}

async function pathsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() || e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

/** `java.home` and `java.version` of a Java given as an executable (possibly bare `java` on PATH). */
async function javaProperties(bin: string, env: Env): Promise<{ home: string; version: string }> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(bin, ['-XshowSettings:properties', '-version'], { env, timeout: 15_000 }, (err, stdout, stderr) =>
      err
        ? reject(new AmbitError('INFRA_JAVA_MISSING', `could not run ${bin}: ${err.message}`, { cause: err }))
        : resolve(`${stderr}\n${stdout}`),
    );
  });
  const prop = (name: string): string | undefined => new RegExp(`^\\s*${name.replace('.', '\\.')} = (.+)$`, 'm').exec(out)?.[1]?.trim();
  const home = prop('java.home');
  const version = prop('java.version');
  if (!home || !version) throw new AmbitError('INFRA_JAVA_MISSING', `${bin} -XshowSettings:properties printed no java.home / java.version`);
  return { home, version };
}
