/**
 * Ambit side by side with the broker's ceiling, an EOS copy ceiling (Kafka Streams and our
 * Node client) and a Kafka Streams peer doing the same per-key fold, in one invocation:
 *   pnpm bench [--quick] [--rounds 3] [--budget-minutes 20] [--profile] [--out bench/results]
 * Starts (or reuses) the local broker and registry (KAFKA_BROKERS / SCHEMA_REGISTRY_URL
 * when both are set), builds the Java peers with Maven, then per round, systems interleaved
 * in a rotating order:
 *   - throughput: the same pre-loaded input read from the start, timed from the system's
 *     first handled record to the last output a read_committed consumer receives;
 *   - latency: a fresh input fed at half of Ambit's median throughput, from each input's
 *     LogAppendTime to the read_committed receipt of its output.
 * Then the restore (bench/restore.ts) and key-level concurrency (bench/concurrency.ts)
 * benchmarks. Every run is checked: one output per input, and for the folds a checksum of
 * the final per-key state equal to the expected fold. Writes bench/results/compare-<mode>.json
 * and .md; exits 1 when a check fails or the time budget is exceeded.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@ambit/infra';
import { createAdmin, createProducer, partitionFor, type KafkaConnection } from '@ambit/kafka';
import { readTopicFully } from '@ambit/testing/tools';
import { avroSerde, createSchemaRegistryClient, valueSubject } from '@ambit/serde';
import { checkOutputs, collectOutputs, median, percentile, type DecodedOutput, type OutputCheck } from './measure.ts';
import { buildPeers } from './peers.ts';
import { benchPlatform } from './platform.ts';
import { summarizeProfile, type ProfileSummary } from './profile.ts';
import { inputTopic, SYSTEMS, type Environment, type RunTopics, type SharedSettings, type SystemId, type SystemSpec } from './systems.ts';
import {
  EVENT_SCHEMA,
  expectedStates,
  generateEvents,
  seqOfFramedEvent,
  stateChecksum,
  WARM_PREFIX,
  type BenchEvent,
  type GeneratedEvent,
} from './workload.ts';
import { renderMarkdown } from './report.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    'budget-minutes': { type: 'string', default: '20' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string', default: join(repoRoot, 'bench/results') },
    'streams-cache-bytes': { type: 'string', default: '0' },
    // The record-cache rows: Kafka Streams' default cache size, on both sides.
    'cache-bytes': { type: 'string', default: String(10 * 1024 * 1024) },
    // Development aids: a subset of systems, no restore/concurrency extras, no latency
    // runs, another input size. A run using any is reported as partial and fails.
    systems: { type: 'string' },
    'no-extras': { type: 'boolean', default: false },
    'no-latency': { type: 'boolean', default: false },
    events: { type: 'string' },
  },
  strict: true,
});

const QUICK = args.quick;
const ROUNDS = Number(args.rounds);
const BUDGET_MS = Number(args['budget-minutes']) * 60_000;
const SIZES = QUICK
  ? { events: 30_000, keys: 2_000, valueBytes: 200, partitions: 6, latencySeconds: 6, restoreKeys: 100_000 }
  : { events: 300_000, keys: 10_000, valueBytes: 200, partitions: 6, latencySeconds: 15, restoreKeys: 1_000_000 };
// `--events N` (a development aid, reported as partial) changes only the throughput input's size.
const WORKLOAD = args.events ? { ...SIZES, events: Number(args.events) } : SIZES;
const SETTINGS: SharedSettings = {
  commitIntervalMs: 100,
  lingerMs: 5,
  batchSize: 1_000_000,
  compression: 'lz4',
  streamsCacheBytes: Number(args['streams-cache-bytes']),
  ambitCacheBytes: 0,
  streamThreads: 1,
  jvmOptions: ['-Xms256m', '-Xmx1g'],
};
const ALL_SYSTEMS: readonly SystemId[] = ['kafka-streams-copy', 'node-eos-copy', 'kafka-streams', 'ambit'];
const ORDER: readonly SystemId[] = args.systems ? ALL_SYSTEMS.filter((id) => args.systems!.split(',').includes(id)) : ALL_SYSTEMS;

const startedAt = Date.now();
const failures: string[] = [];
const log = (msg: string): void => void process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${msg}\n`);
const overBudget = (): boolean => Date.now() - startedAt > BUDGET_MS;

const platform = await benchPlatform();
const conn: KafkaConnection = { brokers: platform.brokers, clientId: 'ambit-bench' };
log(`platform: ${platform.brokers.join(',')} ${platform.registryUrl}`);
const peers = await buildPeers();
log(`peers built in ${peers.buildMs} ms (Kafka ${peers.kafkaVersion}, Java ${peers.javaVersion})`);
const workDir = mkdtempSync(join(tmpdir(), 'ambit-bench-compare-'));
const env: Environment = {
  brokers: platform.brokers,
  registryUrl: platform.registryUrl,
  java: peers.java,
  classpath: peers.classpath,
  repoRoot,
  settings: SETTINGS,
  ambitNodeFlags: [],
};
const prefix = `bench-${Date.now().toString(36)}`;
const admin = await createAdmin(conn);

/** The run's topics: input (LogAppendTime, so latency starts at the broker) and each system's outputs. */
async function createNamespace(ns: string): Promise<void> {
  const p = WORKLOAD.partitions;
  const topic = (name: string, configs: Record<string, string> = {}) => ({
    name: `${ns}.${name}`,
    partitions: p,
    replicationFactor: 1,
    configs,
  });
  await admin.createTopics([
    topic('events', { 'message.timestamp.type': 'LogAppendTime' }),
    topic('decisions'),
    topic('effects.requested'),
    topic('copy'),
    topic('folds'),
    topic('ambit-folds'),
  ]);
}

async function encodeEvents(ns: string, events: readonly GeneratedEvent[]) {
  const serde = avroSerde<BenchEvent>({
    registry: createSchemaRegistryClient({ url: platform.registryUrl }),
    subject: valueSubject(inputTopic(ns)),
    schema: EVENT_SCHEMA,
    autoRegister: true,
  });
  const out = [];
  for (const e of events) out.push({ topic: inputTopic(ns), key: e.key, value: await serde.serialize(e.event) });
  return out;
}

/** One key per partition, seq -1-p: proves a system is consuming before the timed feed starts. */
function warmUpEvents(): GeneratedEvent[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < WORKLOAD.partitions; i++) {
    const key = `${WARM_PREFIX}${i}`;
    const p = partitionFor(key, WORKLOAD.partitions);
    if (!byPartition.has(p)) byPartition.set(p, key);
  }
  return [...byPartition.entries()].map(([p, key]) => ({ key, event: { seq: -1 - p, payload: 'warm' } }));
}

interface ThroughputRun {
  readonly round: number;
  readonly eventsPerSec: number;
  readonly ms: number;
  readonly cpuSeconds: number;
  readonly cpuMicrosPerEvent: number;
  readonly peakRssMb: number;
  readonly check: OutputCheck;
  readonly exitCode: number | null;
}

interface LatencyRun {
  readonly round: number;
  readonly offeredPerSec: number;
  readonly achievedPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly check: OutputCheck;
}

const runName = (sys: SystemSpec, kind: string, round: number): string =>
  `${prefix}-${sys.id.replace('kafka-streams', 'ks').replace('node-eos-copy', 'nc')}-${kind}${round}`;

async function decodeAll(sys: SystemSpec, run: RunTopics, records: Parameters<ReturnType<SystemSpec['decoder']>>[0][]) {
  const decode = sys.decoder(env, run);
  const out: DecodedOutput[] = [];
  for (const r of records) out.push(await decode(r));
  return out;
}

/** The collector's end, cut short when the system's process exits first. */
async function untilDoneOrExit(proc: { exited: boolean }, collector: { done: Promise<void>; stop(): void }): Promise<void> {
  const watch = setInterval(() => proc.exited && collector.stop(), 100);
  await collector.done;
  clearInterval(watch);
}

async function throughputRun(
  sys: SystemSpec,
  round: number,
  ns: string,
  expectedChecksum: string,
  runEnv: Environment = env,
  tag = 't',
): Promise<ThroughputRun> {
  const runId = runName(sys, tag, round);
  const run: RunTopics = { runId, namespace: ns, stateDir: join(workDir, runId) };
  const collector = await collectOutputs(conn, sys.outputTopic(run), WORKLOAD.events, 300_000);
  const proc = sys.start(runEnv, run);
  await untilDoneOrExit(proc, collector);
  proc.sample();
  const first = proc.event('first')?.at ?? NaN;
  const last = collector.lastReceivedAt();
  const exitCode = await proc.stop();
  const check = checkOutputs(await decodeAll(sys, run, collector.records), WORKLOAD.events, sys.stateful ? expectedChecksum : undefined);
  if (!check.ok) failures.push(`${sys.id} throughput (${tag}) round ${round}: ${check.problems.join('; ')}; ${proc.stderrTail(5)}`);
  const ms = last - first;
  const cpuSeconds = proc.cpuSecondsBetween(first, last);
  rmSync(run.stateDir, { recursive: true, force: true });
  return {
    round,
    eventsPerSec: Math.round((WORKLOAD.events / ms) * 1000),
    ms,
    cpuSeconds: round2(cpuSeconds),
    cpuMicrosPerEvent: Math.round((cpuSeconds * 1e6) / WORKLOAD.events),
    peakRssMb: proc.peakRssMb,
    check,
    exitCode,
  };
}

async function latencyRun(sys: SystemSpec, round: number, ratePerSec: number): Promise<LatencyRun> {
  const runId = runName(sys, 'l', round);
  const ns = runId;
  await createNamespace(ns);
  const run: RunTopics = { runId, namespace: ns, stateDir: join(workDir, runId) };
  const count = Math.round(ratePerSec * WORKLOAD.latencySeconds);
  const events = generateEvents(count, WORKLOAD.keys, WORKLOAD.valueBytes, 7 + round);
  const warm = warmUpEvents();
  const encoded = await encodeEvents(ns, [...warm, ...events]);
  const warmRecords = encoded.slice(0, warm.length);
  const records = encoded.slice(warm.length);
  const producer = await createProducer(conn, { lingerMs: 1 });
  const collector = await collectOutputs(conn, sys.outputTopic(run), count + warm.length, WORKLOAD.latencySeconds * 1000 + 180_000);
  const proc = sys.start(env, run);
  const outputsDone = untilDoneOrExit(proc, collector);
  try {
    await producer.send(warmRecords);
    const warmDeadline = Date.now() + 120_000;
    while (collector.records.length < warm.length && Date.now() < warmDeadline && !proc.exited) await sleep(20);
    if (collector.records.length < warm.length) throw new Error(`${sys.id} did not answer the warm-up: ${proc.stderrTail(5)}`);
    // The timed feed: `ratePerSec`, in 5 ms ticks, not waiting for acknowledgements between ticks.
    const feedStart = Date.now();
    const acks: Array<Promise<unknown>> = [];
    let sent = 0;
    while (sent < count) {
      const due = Math.min(count, Math.floor(((Date.now() - feedStart) / 1000) * ratePerSec));
      if (due > sent) {
        acks.push(producer.send(records.slice(sent, due)));
        sent = due;
      }
      await sleep(5);
    }
    const feedMs = Date.now() - feedStart;
    await Promise.all(acks);
    await outputsDone;
    proc.sample();
    const decoded = await decodeAll(sys, run, collector.records);
    const check = checkOutputs(decoded, count, sys.stateful ? stateChecksum(expectedStates(events)) : undefined);
    if (!check.ok) failures.push(`${sys.id} latency round ${round}: ${check.problems.join('; ')}; ${proc.stderrTail(5)}`);
    const appended = await appendTimes(inputTopic(ns));
    const latencies = decoded.filter((o) => o.seq >= 0 && appended.has(o.seq)).map((o) => o.receivedAt - appended.get(o.seq)!);
    const first = feedStart;
    const last = collector.lastReceivedAt();
    return {
      round,
      offeredPerSec: Math.round(ratePerSec),
      achievedPerSec: Math.round((count / feedMs) * 1000),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      cpuSeconds: round2(proc.cpuSecondsBetween(first, last)),
      peakRssMb: proc.peakRssMb,
      check,
    };
  } finally {
    await proc.stop();
    await outputsDone;
    await producer.close();
    rmSync(run.stateDir, { recursive: true, force: true });
  }
}

/** seq -> the broker's append time of each input (the topic is LogAppendTime). */
async function appendTimes(topic: string): Promise<Map<number, number>> {
  const records = await readTopicFully({ brokers: platform.brokers, topic, isolation: 'read_uncommitted' });
  return new Map(records.map((r) => [seqOfFramedEvent(r.value!), r.timestamp]));
}

interface CeilingRun {
  readonly round: number;
  readonly producerPerSec: number;
  readonly producerMbPerSec: number;
  readonly consumerPerSec: number;
  readonly consumerMbPerSec: number;
}

function run(cmd: string, argv: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      cmd,
      [...argv],
      { env: { ...process.env, ...extraEnv }, cwd: repoRoot, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${cmd} ${argv.slice(-6).join(' ')}: ${err.message}\n${stderr.slice(-2000)}`)) : resolve(stdout),
    ),
  );
}

/** Kafka's own ProducerPerformance then ConsumerPerformance, same record size and count. */
async function ceilingRun(round: number): Promise<CeilingRun> {
  const topic = `${prefix}.ceiling-${round}`;
  await admin.createTopics([{ name: topic, partitions: WORKLOAD.partitions, replicationFactor: 1, configs: {} }]);
  const bootstrap = platform.brokers.join(',');
  const produced = await run(peers.java, [
    ...SETTINGS.jvmOptions,
    '-cp',
    peers.classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    ...['--topic', topic, '--num-records', String(WORKLOAD.events), '--record-size', String(WORKLOAD.valueBytes), '--throughput', '-1'],
    '--producer-props',
    `bootstrap.servers=${bootstrap}`,
    'acks=all',
    'enable.idempotence=true',
    `linger.ms=${SETTINGS.lingerMs}`,
    `batch.size=${SETTINGS.batchSize}`,
    `compression.type=${SETTINGS.compression}`,
  ]);
  const p = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(produced.trim().split('\n').pop() ?? '');
  if (!p) throw new Error(`cannot read ProducerPerformance's summary: ${produced.slice(-500)}`);
  const consumed = await run(peers.java, [
    ...SETTINGS.jvmOptions,
    '-cp',
    peers.classpath,
    'org.apache.kafka.tools.ConsumerPerformance',
    ...['--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(WORKLOAD.events), '--timeout', '60000'],
  ]);
  const lines = consumed.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  if (header < 0 || !lines[header + 1]) throw new Error(`cannot read ConsumerPerformance's summary: ${consumed.slice(-500)}`);
  const names = lines[header]!.split(',').map((s) => s.trim());
  const row = lines[header + 1]!.split(',').map((s) => s.trim());
  const col = (n: string): number => Number(row[names.indexOf(n)]);
  return {
    round,
    producerPerSec: Math.round(Number(p[2])),
    producerMbPerSec: Number(p[3]),
    consumerPerSec: Math.round(col('fetch.nMsg.sec')),
    consumerMbPerSec: col('fetch.MB.sec'),
  };
}

/** Another benchmark script on the same platform; its result is the last JSON document it prints. */
async function extra(script: string, argv: readonly string[]): Promise<Record<string, unknown>> {
  const out = await run(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'bench', script), ...argv],
    { KAFKA_BROKERS: platform.brokers.join(','), SCHEMA_REGISTRY_URL: platform.registryUrl },
    300_000,
  );
  const start = out.lastIndexOf('\n{');
  return JSON.parse(start >= 0 ? out.slice(start + 1) : out) as Record<string, unknown>;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);
const system = (id: SystemId): SystemSpec => SYSTEMS.find((s) => s.id === id)!;

// ---- the invocation --------------------------------------------------------------------

const throughput = new Map<SystemId, ThroughputRun[]>(ALL_SYSTEMS.map((id) => [id, []]));
/** The record-cache rows: the two folds again with a record cache on both sides. */
const CACHED: readonly SystemId[] = ['kafka-streams', 'ambit'];
const CACHE_BYTES = Number(args['cache-bytes']);
const cachedEnv: Environment = { ...env, settings: { ...SETTINGS, streamsCacheBytes: CACHE_BYTES, ambitCacheBytes: CACHE_BYTES } };
const cachedThroughput = new Map<SystemId, ThroughputRun[]>(CACHED.map((id) => [id, []]));
const latency = new Map<SystemId, LatencyRun[]>(ALL_SYSTEMS.map((id) => [id, []]));
const ceiling: CeilingRun[] = [];
let restore: Record<string, unknown> | undefined;
let concurrency: Record<string, unknown> | undefined;
let profile: ProfileSummary | undefined;
let offered = NaN;

try {
  const ns = `${prefix}-tp`;
  await createNamespace(ns);
  const events = generateEvents(WORKLOAD.events, WORKLOAD.keys, WORKLOAD.valueBytes, 20261122);
  const expected = stateChecksum(expectedStates(events));
  const loader = await createProducer(conn, { lingerMs: 20 });
  const loadStart = Date.now();
  const encoded = await encodeEvents(ns, events);
  for (let i = 0; i < encoded.length; i += 20_000) await loader.send(encoded.slice(i, i + 20_000));
  await loader.close();
  log(`loaded ${WORKLOAD.events} events into ${inputTopic(ns)} in ${Date.now() - loadStart} ms; expected checksum ${expected}`);

  for (let round = 1; round <= ROUNDS && !overBudget(); round++) {
    ceiling.push(await ceilingRun(round));
    log(`ceiling round ${round}: ${JSON.stringify(ceiling.at(-1))}`);
    for (const id of rotate(ORDER, round - 1)) {
      if (overBudget()) break;
      const r = await throughputRun(system(id), round, ns, expected);
      throughput.get(id)!.push(r);
      log(
        `throughput ${id} round ${round}: ${r.eventsPerSec} ev/s, ${r.cpuSeconds} CPU s, ${r.peakRssMb} MB, ${r.check.ok ? 'ok' : r.check.problems.join('; ')}`,
      );
    }
    for (const id of rotate(
      CACHED.filter((c) => ORDER.includes(c)),
      round - 1,
    )) {
      if (overBudget()) break;
      const r = await throughputRun(system(id), round, ns, expected, cachedEnv, 'c');
      cachedThroughput.get(id)!.push(r);
      log(
        `throughput ${id} with a record cache round ${round}: ${r.eventsPerSec} ev/s, ${r.cpuSeconds} CPU s, ${r.check.ok ? 'ok' : r.check.problems.join('; ')}`,
      );
    }
  }

  offered = Math.round(median(throughput.get('ambit')!.map((r) => r.eventsPerSec)) / 2);
  for (let round = 1; round <= ROUNDS && !overBudget() && Number.isFinite(offered) && !args['no-latency']; round++) {
    for (const id of rotate(ORDER, round - 1)) {
      if (overBudget()) break;
      const r = await latencyRun(system(id), round, offered);
      latency.get(id)!.push(r);
      log(
        `latency ${id} round ${round} at ${offered}/s: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.check.ok ? 'ok' : r.check.problems.join('; ')}`,
      );
    }
  }

  if (!overBudget() && !args['no-extras']) {
    restore = await extra('restore.ts', ['--keys', String(WORKLOAD.restoreKeys)]);
    log(`restore: ${JSON.stringify(restore)}`);
  }
  if (!overBudget() && !args['no-extras']) {
    concurrency = await extra('concurrency.ts', QUICK ? ['--keys', '60', '--baseline', '30', '--min-ratio', '10'] : []);
    log(`concurrency: ${JSON.stringify(concurrency)}`);
  }
  if (args.profile && !overBudget()) {
    const dir = join(workDir, 'profile');
    mkdirSync(dir, { recursive: true });
    const profiled: Environment = { ...env, ambitNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] };
    const sys = system('ambit');
    const runId = `${prefix}-ambit-prof`;
    const collector = await collectOutputs(conn, sys.outputTopic({ runId, namespace: ns, stateDir: '' }), WORKLOAD.events, 300_000);
    const proc = sys.start(profiled, { runId, namespace: ns, stateDir: join(workDir, runId) });
    await untilDoneOrExit(proc, collector);
    await proc.stop();
    profile = summarizeProfile(dir);
    // The raw profile for a closer look (Chrome DevTools, speedscope); git-ignored.
    cpSync(dir, join(repoRoot, 'bench/results/tmp/profile'), { recursive: true });
    log(`profile: ${JSON.stringify(profile.byArea.slice(0, 8))}`);
  }
} catch (e) {
  failures.push(`aborted: ${(e as Error).stack ?? String(e)}`);
}

if (overBudget())
  failures.push(`time budget exceeded: ${((Date.now() - startedAt) / 60_000).toFixed(1)} min > ${args['budget-minutes']} min`);
if (ORDER.length < ALL_SYSTEMS.length || args['no-extras'] || args['no-latency'] || args.events) {
  failures.push('partial run (--systems / --no-extras / --no-latency / --events)');
}
for (const id of ORDER) {
  if (throughput.get(id)!.length < ROUNDS) failures.push(`${id}: ${throughput.get(id)!.length}/${ROUNDS} throughput runs`);
  if (CACHED.includes(id) && cachedThroughput.get(id)!.length < ROUNDS)
    failures.push(`${id}: ${cachedThroughput.get(id)!.length}/${ROUNDS} record-cache throughput runs`);
  if (latency.get(id)!.length < ROUNDS) failures.push(`${id}: ${latency.get(id)!.length}/${ROUNDS} latency runs`);
}

// Clean up this invocation's topics (Kafka Streams' internal ones carry the run ids too).
try {
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length > 0) await admin.deleteTopics(mine);
} catch (e) {
  log(`cleanup: ${(e as Error).message}`);
}
await admin.close();
rmSync(workDir, { recursive: true, force: true });
await platform.stop();

const summaryOf = (id: SystemId) => {
  const t = throughput.get(id)!;
  const l = latency.get(id)!;
  return {
    throughput: {
      eventsPerSec: median(t.map((r) => r.eventsPerSec)),
      cpuSeconds: median(t.map((r) => r.cpuSeconds)),
      cpuMicrosPerEvent: median(t.map((r) => r.cpuMicrosPerEvent)),
      peakRssMb: median(t.map((r) => r.peakRssMb)),
      runs: t,
    },
    latency: {
      offeredPerSec: offered,
      p50Ms: median(l.map((r) => r.p50Ms)),
      p99Ms: median(l.map((r) => r.p99Ms)),
      cpuSeconds: median(l.map((r) => r.cpuSeconds)),
      peakRssMb: median(l.map((r) => r.peakRssMb)),
      runs: l,
    },
    checked: [...t, ...l].every((r) => r.check.ok),
  };
};
const systems = Object.fromEntries(ALL_SYSTEMS.map((id) => [id, { description: system(id).description, ...summaryOf(id) }]));
const cachedSummary = (id: SystemId) => {
  const t = cachedThroughput.get(id)!;
  return {
    eventsPerSec: median(t.map((r) => r.eventsPerSec)),
    cpuMicrosPerEvent: median(t.map((r) => r.cpuMicrosPerEvent)),
    peakRssMb: median(t.map((r) => r.peakRssMb)),
    checked: t.every((r) => r.check.ok),
    runs: t,
  };
};
const recordCache = { cacheBytes: CACHE_BYTES, 'kafka-streams': cachedSummary('kafka-streams'), ambit: cachedSummary('ambit') };
const ambitTp = systems.ambit!.throughput.eventsPerSec;
const brokerCeiling = {
  producerPerSec: median(ceiling.map((c) => c.producerPerSec)),
  consumerPerSec: median(ceiling.map((c) => c.consumerPerSec)),
  runs: ceiling,
};
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
const result = {
  benchmark: 'compare',
  mode: QUICK ? 'quick' : 'full',
  ok: failures.length === 0,
  failures,
  startedAt: new Date(startedAt).toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt) / 1000),
  budgetMinutes: Number(args['budget-minutes']),
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
  },
  versions: {
    node: process.version,
    kafka: peers.kafkaVersion,
    kafkaStreams: peers.kafkaVersion,
    java: peers.javaVersion,
    confluentKafkaJavascript: packageVersion('libs/kafka/node_modules/@confluentinc/kafka-javascript/package.json'),
    ambit: packageVersion('libs/runtime/package.json'),
  },
  settings: {
    ...SETTINGS,
    partitions: WORKLOAD.partitions,
    processes: 1,
    isolation: 'read_committed',
    guarantee: 'exactly_once_v2 (Kafka Streams) / EOS v2 transactions with the consumer group metadata (Node)',
    ambit: 'maxInFlight 1, commit interval 100 ms, linger 5 ms, batch.size 1,000,000, lz4 (runtime defaults)',
    recordCache: `main rows: Kafka Streams statestore.cache.max.bytes=${SETTINGS.streamsCacheBytes}, Ambit none; record-cache rows: ${CACHE_BYTES} bytes on both sides (Ambit AMBIT_STATE_CACHE_MAX_BYTES, per task)`,
  },
  workload: { ...WORKLOAD, rounds: ROUNDS, offeredLoadPerSec: offered },
  brokerCeiling,
  systems,
  ratios: {
    ambitToKafkaStreams: ratio(ambitTp, systems['kafka-streams']!.throughput.eventsPerSec),
    ambitToKafkaStreamsCopy: ratio(ambitTp, systems['kafka-streams-copy']!.throughput.eventsPerSec),
    ambitToNodeEosCopy: ratio(ambitTp, systems['node-eos-copy']!.throughput.eventsPerSec),
    ambitToBrokerCeiling: ratio(ambitTp, Math.min(brokerCeiling.producerPerSec, brokerCeiling.consumerPerSec)),
    ambitP99ToKafkaStreamsP99: ratio(systems.ambit!.latency.p99Ms, systems['kafka-streams']!.latency.p99Ms),
    ambitP99ToCommitInterval: ratio(systems.ambit!.latency.p99Ms, SETTINGS.commitIntervalMs),
    ambitCpuPerEventToKafkaStreams: ratio(
      systems.ambit!.throughput.cpuMicrosPerEvent,
      systems['kafka-streams']!.throughput.cpuMicrosPerEvent,
    ),
    ambitToKafkaStreamsWithRecordCache: ratio(recordCache.ambit.eventsPerSec, recordCache['kafka-streams'].eventsPerSec),
  },
  recordCache,
  restore,
  concurrency,
  profile,
};

function packageVersion(rel: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, rel), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

mkdirSync(args.out, { recursive: true });
const base = join(args.out, `compare-${result.mode}`);
writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
writeFileSync(`${base}.md`, renderMarkdown(result));
process.stdout.write(readFileSync(`${base}.md`, 'utf8'));
log(`wrote ${base}.json and ${base}.md in ${result.durationSeconds} s`);
if (!result.ok) {
  process.stderr.write(`FAILED:\n- ${failures.join('\n- ')}\n`);
  process.exit(1);
}
process.exit(0);
