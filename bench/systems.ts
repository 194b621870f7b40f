/**
 * The systems the comparison runs, each as its own process with the same settings where a
 * setting exists in it: how to start one on a run's topics, which topic holds its outputs
 * and how to read an output back (which input it answers, and the key's state for the folds).
 */
import { join } from 'node:path';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import type { DecodedOutput, ReceivedRecord } from './measure.ts';
import { MonitoredProcess } from './proc.ts';
import { FOLD_OUT_SCHEMA, seqOfFramedEvent, type FoldOut } from './workload.ts';

export type SystemId = 'kafka-streams-copy' | 'node-eos-copy' | 'kafka-streams' | 'ambit';

/** Settings every system gets where it has them (recorded with the results). */
export interface SharedSettings {
  readonly commitIntervalMs: number;
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly compression: 'lz4' | 'none' | 'zstd';
  /** Kafka Streams' record cache (`statestore.cache.max.bytes`); 0 in the main rows. */
  readonly streamsCacheBytes: number;
  /** Ambit's record cache per task (`AMBIT_STATE_CACHE_MAX_BYTES`); 0 in the main rows. */
  readonly ambitCacheBytes: number;
  readonly streamThreads: number;
  readonly jvmOptions: readonly string[];
}

export interface RunTopics {
  /** Names this run: group id, application id, agent name, transactional id. */
  readonly runId: string;
  /** Ambit namespace of the run's topics: the input is `<ns>.events`. */
  readonly namespace: string;
  readonly stateDir: string;
}

export interface Environment {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly java: string;
  readonly classpath: string;
  readonly repoRoot: string;
  readonly settings: SharedSettings;
  /** Extra Node flags for the Ambit host (e.g. --cpu-prof). */
  readonly ambitNodeFlags: readonly string[];
}

export interface SystemSpec {
  readonly id: SystemId;
  readonly description: string;
  readonly stateful: boolean;
  outputTopic(run: RunTopics): string;
  start(env: Environment, run: RunTopics): MonitoredProcess;
  decoder(env: Environment, run: RunTopics): (r: ReceivedRecord) => Promise<DecodedOutput>;
}

export const inputTopic = (namespace: string): string => `${namespace}.events`;

function javaApp(mainClass: string, env: Environment, run: RunTopics, output: string): MonitoredProcess {
  const s = env.settings;
  return new MonitoredProcess(
    `${mainClass}:${run.runId}`,
    env.java,
    [
      ...s.jvmOptions,
      '-cp',
      env.classpath,
      `dev.ambit.bench.${mainClass}`,
      ...['--bootstrap', env.brokers.join(','), '--app-id', run.runId, '--input', inputTopic(run.namespace), '--output', output],
      ...['--state-dir', run.stateDir, '--commit-interval-ms', String(s.commitIntervalMs), '--linger-ms', String(s.lingerMs)],
      ...['--batch-size', String(s.batchSize), '--compression', s.compression, '--cache-bytes', String(s.streamsCacheBytes)],
      ...['--threads', String(s.streamThreads)],
    ],
    process.env,
    env.repoRoot,
  );
}

/** A TypeScript entry point of this repository run with `node --import tsx`. */
function tsProcess(
  name: string,
  env: Environment,
  script: string,
  args: readonly string[],
  childEnv: NodeJS.ProcessEnv,
  nodeFlags: readonly string[] = [],
) {
  return new MonitoredProcess(
    name,
    process.execPath,
    [...nodeFlags, '--import', 'tsx', join(env.repoRoot, script), ...args],
    childEnv,
    env.repoRoot,
  );
}

const copyDecoder = () => async (r: ReceivedRecord) => ({ key: r.key ?? '', seq: seqOfFramedEvent(r.value!), receivedAt: r.receivedAt });

export const SYSTEMS: readonly SystemSpec[] = [
  {
    id: 'kafka-streams-copy',
    description: 'EOS copy ceiling: stateless Kafka Streams topology (stream -> to), exactly_once_v2',
    stateful: false,
    outputTopic: (run) => `${run.namespace}.copy`,
    start: (env, run) => javaApp('CopyApp', env, run, `${run.namespace}.copy`),
    decoder: copyDecoder,
  },
  {
    id: 'node-eos-copy',
    description: 'EOS copy ceiling: consume -> produce -> sendOffsets/commit loop on @ambit/kafka, no serde or state',
    stateful: false,
    outputTopic: (run) => `${run.namespace}.copy`,
    start: (env, run) =>
      tsProcess(
        `copy-loop:${run.runId}`,
        env,
        'bench/copy-loop.ts',
        [
          ...['--brokers', env.brokers.join(','), '--group', run.runId],
          ...['--input', inputTopic(run.namespace), '--output', `${run.namespace}.copy`],
          ...['--commit-interval-ms', String(env.settings.commitIntervalMs), '--linger-ms', String(env.settings.lingerMs)],
          ...['--batch-size', String(env.settings.batchSize), '--compression', env.settings.compression],
        ],
        process.env,
      ),
    decoder: copyDecoder,
  },
  {
    id: 'kafka-streams',
    description: 'Kafka Streams peer: per-key fold in a RocksDB store (changelogged), one output per event, exactly_once_v2',
    stateful: true,
    outputTopic: (run) => `${run.namespace}.folds`,
    start: (env, run) => javaApp('FoldApp', env, run, `${run.namespace}.folds`),
    decoder: () => async (r) => {
      const o = JSON.parse(r.value!.toString('utf8')) as { seq: number; count: number; chain: number; bytes: number };
      return { key: r.key ?? '', seq: o.seq, state: { count: o.count, chain: o.chain, bytes: o.bytes }, receivedAt: r.receivedAt };
    },
  },
  {
    id: 'ambit',
    description:
      'Ambit: the same fold as an agent (bench/agents/fold.ts, ctx.send to a declared output) in the agent host, JSON store on LevelDB, exactly-once',
    stateful: true,
    outputTopic: (run) => `${run.namespace}.ambit-folds`,
    start: (env, run) =>
      tsProcess(
        `ambit:${run.runId}`,
        env,
        'services/agent-host/src/main.ts',
        ['--module', join(env.repoRoot, 'bench/agents/fold.ts'), '--agent', 'foldAgent'],
        {
          ...process.env,
          KAFKA_BROKERS: env.brokers.join(','),
          SCHEMA_REGISTRY_URL: env.registryUrl,
          AMBIT_NAMESPACE: run.namespace,
          AMBIT_INSTANCE_ID: 'bench',
          AMBIT_STATE_DIR: run.stateDir,
          AMBIT_REGISTER_SCHEMAS: '1',
          AMBIT_COMMIT_INTERVAL_MS: String(env.settings.commitIntervalMs),
          ...(env.settings.ambitCacheBytes > 0 ? { AMBIT_STATE_CACHE_MAX_BYTES: String(env.settings.ambitCacheBytes) } : {}),
          AMBIT_LOG_LEVEL: 'warn',
          BENCH_AGENT_NAME: run.runId,
        },
        env.ambitNodeFlags,
      ),
    decoder: (env, run) => {
      const serde = avroSerde<FoldOut>({
        registry: createSchemaRegistryClient({ url: env.registryUrl }),
        subject: valueSubject(`${run.namespace}.ambit-folds`),
        schema: FOLD_OUT_SCHEMA,
      });
      return async (r) => {
        const o = await serde.deserialize(r.value!);
        return { key: r.key ?? '', seq: o.seq, state: { count: o.count, chain: o.chain, bytes: o.bytes }, receivedAt: r.receivedAt };
      };
    },
  },
];
