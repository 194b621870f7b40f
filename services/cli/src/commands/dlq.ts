/**
 * `ambit dlq redrive`: puts dead-lettered records back on the input topic they came from,
 * once the cause is fixed (a new agent version, a repaired schema). The original bytes and
 * headers go back unchanged, plus `ambit-redriven-from`; the runtime's `ambit-dlq-*`
 * headers are dropped.
 *
 * Exactly once: records are written in transactions that also commit the re-drive group's
 * offsets on the DLQ (`<ns>.<agent>.dlq-redrive`), so a crash mid-way and a second run
 * never re-drive a record twice. Records passed over (a `--code` filter, timer firings,
 * which have no input topic) advance the group too; `--from-start` re-reads the whole DLQ.
 * `--dry-run` lists what would be re-driven and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { AmbitError, DLQ_HEADER_PREFIX, DlqHeaders, dlqTopic, groupId, Headers, topicName } from '@ambit/core';
import {
  createAdmin,
  createConsumer,
  createTransactionalProducer,
  partitionKey,
  type ConsumedRecord,
  type KafkaConsumer,
  type ProducerRecord,
} from '@ambit/kafka';
import { EXIT, UsageError, type Command } from '../command.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, resolveConfig } from '../config.ts';

export const REDRIVEN_FROM = 'ambit-redriven-from';
const RUNTIME_HEADERS: ReadonlySet<string> = new Set(Object.values(Headers));

export type RedrivePlan =
  | { readonly action: 'redrive'; readonly record: ProducerRecord; readonly code: string; readonly source: string }
  | { readonly action: 'skip'; readonly why: string; readonly code: string; readonly source: string };

/** Pure: what to do with one DLQ record. `codes`: re-drive only these (empty: all). */
export function planRedrive(r: ConsumedRecord, namespace: string, codes: ReadonlySet<string>): RedrivePlan {
  const header = (name: string): string | undefined => r.headers[name]?.toString('utf8');
  const source = header(Headers.source) ?? '';
  const code = header(DlqHeaders.code) ?? '';
  const at = `${r.topic}/${r.partition}/${r.offset}`;
  if (codes.size > 0 && !codes.has(code)) return { action: 'skip', why: `code ${code || '(none)'} not selected`, code, source };
  const m = /^(.+)\/(\d+)\/(\d+)$/.exec(source);
  if (source.startsWith('timer/') || !m) {
    return {
      action: 'skip',
      why: source.startsWith('timer/') ? 'a timer firing has no input topic' : `no input source (${source || 'header missing'})`,
      code,
      source,
    };
  }
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    if (k.startsWith(DLQ_HEADER_PREFIX) || RUNTIME_HEADERS.has(k)) continue;
    headers[k] = v;
  }
  headers[REDRIVEN_FROM] = Buffer.from(at);
  return {
    action: 'redrive',
    code,
    source,
    // Partitioned by key as the original producer did (murmur2): the same task gets it.
    record: { topic: topicName(namespace, m[1]!), key: r.key, value: r.value, headers },
  };
}

export interface RedriveReport {
  readonly dlqTopic: string;
  readonly redriven: number;
  readonly skipped: number;
  readonly dryRun: boolean;
  readonly records: ReadonlyArray<{ at: string; source: string; code: string; action: string; why?: string; to?: string }>;
}

export const dlqRedrive: Command = {
  path: ['dlq', 'redrive'],
  summary: "re-drive an agent's dead-lettered records to their input topics, exactly once",
  help: [
    ...CONNECTION_HELP,
    '--agent <name>       the agent whose <ns>.<agent>.dlq is read (required)',
    '--code <CODE>        only records dead-lettered with this code (repeatable); others are passed over',
    '--from-start         re-read the DLQ from its beginning (records re-driven before go again)',
    '--dry-run            list what would be re-driven; write and commit nothing',
    '--json               print the report as JSON',
  ],
  options: {
    ...CONNECTION_OPTIONS,
    agent: { type: 'string' },
    code: { type: 'string', multiple: true },
    'from-start': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(flags, io) {
    const config = resolveConfig(flags, io.env);
    const agent = typeof flags.agent === 'string' ? flags.agent.trim() : '';
    if (!/^[a-zA-Z0-9._-]+$/.test(agent)) throw new UsageError('--agent <name> is required');
    const codes = new Set((Array.isArray(flags.code) ? flags.code : []).map(String));
    const report = await redrive({
      brokers: config.brokers,
      namespace: config.namespace,
      agent,
      codes,
      fromStart: flags['from-start'] === true,
      dryRun: flags['dry-run'] === true,
    });
    if (flags.json) io.out(JSON.stringify(report, null, 2));
    else {
      for (const r of report.records)
        io.out(`${r.action.padEnd(8)} ${r.at}  ${r.source}  ${r.code}${r.to ? `  -> ${r.to}` : ''}${r.why ? `  (${r.why})` : ''}`);
      io.out(`${report.dryRun ? 'would re-drive' : 're-drove'} ${report.redriven}, passed over ${report.skipped} (${report.dlqTopic})`);
    }
    return EXIT.OK;
  },
};

const BATCH = 500;

export async function redrive(o: {
  brokers: readonly string[];
  namespace: string;
  agent: string;
  codes: ReadonlySet<string>;
  fromStart: boolean;
  dryRun: boolean;
}): Promise<RedriveReport> {
  const topic = dlqTopic(o.namespace, o.agent);
  const group = `${groupId(o.namespace, o.agent)}.dlq-redrive`;
  const conn = { brokers: [...o.brokers], clientId: 'ambit-dlq-redrive' };
  const admin = await createAdmin(conn);
  let ends: Map<number, number>;
  let committed: Map<number, number>;
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `no DLQ topic ${topic}: has agent "${o.agent}" run in namespace "${o.namespace}"?`);
    }
    ends = new Map((await admin.endOffsets(topic, 'read_committed')).map((p) => [p.partition, p.high]));
    committed = o.fromStart ? new Map() : await admin.committedOffsets(group, topic, true);
  } finally {
    await admin.close();
  }
  const records: Array<RedriveReport['records'][number]> = [];
  let redriven = 0;
  let skipped = 0;
  // Partitions with something left to read, and where reading starts.
  const todo = new Map([...ends].filter(([p, end]) => (committed.get(p) ?? 0) < end));
  if (todo.size === 0) return { dlqTopic: topic, redriven, skipped, dryRun: o.dryRun, records };

  const consumer: KafkaConsumer = await createConsumer(conn, { groupId: group, isolation: 'read_committed', autoOffsetReset: 'earliest' });
  // A fresh transactional id per run: one re-drive at a time is expected, and the group offsets carry progress.
  const producer = o.dryRun ? undefined : await createTransactionalProducer(conn, { transactionalId: `${group}.${randomUUID()}` });
  try {
    await producer?.init(30_000);
    consumer.assign([...todo.keys()].map((partition) => ({ topic, partition, offset: committed.get(partition) ?? 0 })));
    const next = new Map([...todo.keys()].map((p) => [p, committed.get(p) ?? 0]));
    const deadline = Date.now() + 120_000;
    while ([...todo].some(([p, end]) => next.get(p)! < end)) {
      if (Date.now() > deadline) throw new AmbitError('KAFKA_TIMEOUT', `DLQ ${topic} not read to its end within 120 s`);
      const batch = (await consumer.consume(BATCH, 500)).filter((r) => r.offset < (todo.get(r.partition) ?? 0));
      // The fetch position steps over transaction markers, which are never returned as records.
      const positions = consumer.position([...todo.keys()].map((partition) => ({ topic, partition })));
      if (batch.length === 0) {
        for (const p of todo.keys()) next.set(p, Math.max(next.get(p)!, positions.get(partitionKey({ topic, partition: p })) ?? 0));
        continue;
      }
      await producer?.begin();
      for (const r of batch) {
        const plan = planRedrive(r, o.namespace, o.codes);
        const at = `${r.partition}/${r.offset}`;
        if (plan.action === 'redrive') {
          redriven++;
          records.push({ at, source: plan.source, code: plan.code, action: 'redrive', to: plan.record.topic });
          await producer?.produce(plan.record);
        } else {
          skipped++;
          records.push({ at, source: plan.source, code: plan.code, action: 'skip', why: plan.why });
        }
        next.set(r.partition, Math.max(next.get(r.partition)!, r.offset + 1));
      }
      if (producer) {
        await producer.sendOffsets(
          [...next].map(([partition, offset]) => ({ topic, partition, offset })),
          consumer,
        );
        await producer.commit();
      }
    }
  } catch (e) {
    await producer?.abort().catch(() => undefined);
    throw e;
  } finally {
    await consumer.close().catch(() => undefined);
    await producer?.close().catch(() => undefined);
  }
  return { dlqTopic: topic, redriven, skipped, dryRun: o.dryRun, records };
}
