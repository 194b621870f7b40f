/** Renders the comparison's result document as a markdown page (bench/results/compare-<mode>.md). */

interface SystemResult {
  readonly description: string;
  readonly throughput: { eventsPerSec: number; cpuSeconds: number; cpuMicrosPerEvent: number; peakRssMb: number; runs: readonly unknown[] };
  readonly latency: {
    offeredPerSec: number;
    p50Ms: number;
    p99Ms: number;
    cpuSeconds: number;
    peakRssMb: number;
    runs: readonly unknown[];
  };
  readonly checked: boolean;
}

interface CompareResult {
  readonly mode: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly versions: Record<string, unknown>;
  readonly settings: Record<string, unknown>;
  readonly workload: Record<string, unknown>;
  readonly brokerCeiling: { producerPerSec: number; consumerPerSec: number };
  readonly systems: Record<string, SystemResult>;
  readonly ratios: Record<string, number>;
  readonly recordCache?: {
    readonly cacheBytes: number;
    readonly [system: string]: number | { eventsPerSec: number; cpuMicrosPerEvent: number; peakRssMb: number; checked: boolean };
  };
  readonly restore?: Record<string, unknown>;
  readonly concurrency?: Record<string, unknown>;
  readonly profile?: {
    byArea: ReadonlyArray<{ name: string; share: number }>;
    topFunctions: ReadonlyArray<{ name: string; share: number }>;
  };
}

const num = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const kv = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(' ') : String(v)}`)
    .join('; ');

export function renderMarkdown(r: CompareResult): string {
  const lines: string[] = [];
  lines.push(`# Ambit vs Kafka Streams, EOS copy ceilings and the broker (${r.mode})`, '');
  lines.push(`${r.ok ? 'All runs checked' : '**FAILED**'} · ${r.startedAt} · ${r.durationSeconds} s`, '');
  if (r.failures.length > 0) lines.push(...r.failures.map((f) => `- ${f.split('\n')[0]}`), '');
  lines.push(
    `Medians of ${String(r.workload.rounds)} interleaved rounds. Throughput: ${num(r.workload.events as number)} events of ${String(r.workload.valueBytes)} B over ${num(r.workload.keys as number)} keys, ${String(r.workload.partitions)} partitions, first handled input to last output received by a read_committed consumer. Latency: input LogAppendTime to read_committed receipt, fed at ${num(r.workload.offeredLoadPerSec as number)} ev/s (half of Ambit's throughput) for ${String(r.workload.latencySeconds)} s. CPU and peak RSS are the processing process's (JIT and GC threads included).`,
    '',
  );
  lines.push('| system | events/s | CPU s | CPU µs/event | peak RSS MB | p50 ms | p99 ms | output check |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  lines.push(
    `| broker ceiling (ProducerPerformance / ConsumerPerformance) | ${num(r.brokerCeiling.producerPerSec)} / ${num(r.brokerCeiling.consumerPerSec)} | | | | | | |`,
  );
  for (const [id, s] of Object.entries(r.systems)) {
    lines.push(
      `| ${id} | ${num(s.throughput.eventsPerSec)} | ${s.throughput.cpuSeconds} | ${num(s.throughput.cpuMicrosPerEvent)} | ${num(s.throughput.peakRssMb)} | ${num(s.latency.p50Ms)} | ${num(s.latency.p99Ms)} | ${s.checked ? 'ok' : 'FAILED'} |`,
    );
  }
  if (r.recordCache) {
    lines.push(
      '',
      `With a record cache on both sides (${num(r.recordCache.cacheBytes)} bytes: Kafka Streams \`statestore.cache.max.bytes\`, Ambit \`AMBIT_STATE_CACHE_MAX_BYTES\` per task), throughput only:`,
      '',
    );
    lines.push('| system | events/s | CPU µs/event | peak RSS MB | output check |', '|---|---:|---:|---:|---|');
    for (const [id, c] of Object.entries(r.recordCache)) {
      if (typeof c === 'number') continue;
      lines.push(
        `| ${id} + record cache | ${num(c.eventsPerSec)} | ${num(c.cpuMicrosPerEvent)} | ${num(c.peakRssMb)} | ${c.checked ? 'ok' : 'FAILED'} |`,
      );
    }
  }
  lines.push('', '| ratio | value |', '|---|---:|');
  for (const [k, v] of Object.entries(r.ratios)) lines.push(`| ${k} | ${Number.isFinite(v) ? v : 'n/a'} |`);
  lines.push('', '## Systems', '');
  for (const [id, s] of Object.entries(r.systems)) lines.push(`- **${id}**: ${s.description}`);
  if (r.restore) {
    const a = r.restore.ambitRestore as { recordsPerSec: number } | undefined;
    const b = r.restore.baseline as { recordsPerSec: number } | undefined;
    lines.push(
      '',
      '## Restore and key-level concurrency',
      '',
      `- Changelog restore of ${num(r.restore.keys as number)} keys: ${num(a?.recordsPerSec ?? NaN)} records/s vs a bare read_committed consumer ${num(b?.recordsPerSec ?? NaN)} records/s: ${String(r.restore.ratio)}x`,
    );
  }
  if (r.concurrency) {
    lines.push(
      `- Key-level concurrency (model-bound steps): ${String(r.concurrency.concurrentPerSec)} ev/s at in-flight ${String((r.concurrency.bounds as { maxInFlight?: number } | undefined)?.maxInFlight)} vs ${String(r.concurrency.baselinePerSec)} ev/s at 1: ${String(r.concurrency.ratio)}x`,
    );
  }
  if (r.profile) {
    lines.push('', "## Where Ambit's CPU goes (one profiled throughput run, self time, share of busy time)", '');
    lines.push('| area | share |', '|---|---:|');
    for (const e of r.profile.byArea.slice(0, 12)) lines.push(`| ${e.name} | ${(e.share * 100).toFixed(1)}% |`);
    lines.push('', '| function | share |', '|---|---:|');
    for (const e of r.profile.topFunctions.slice(0, 15)) lines.push(`| \`${e.name}\` | ${(e.share * 100).toFixed(1)}% |`);
  }
  lines.push('', '## Machine, versions, settings', '');
  lines.push(`- machine: ${kv(r.machine)}`, `- versions: ${kv(r.versions)}`, `- settings: ${kv(r.settings)}`, '');
  return lines.join('\n');
}
