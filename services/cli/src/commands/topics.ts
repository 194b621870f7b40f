/**
 * `ambit topics apply` and `ambit topics list`: `schemas/topics.yaml` against the broker
 * and the registry. Apply creates what is missing and registers value schemas; it never
 * alters a topic (drift is reported, exit 2) and is idempotent.
 */
import { isAmbitError } from '@ambit/core';
import { applyTopics, createAdmin, describeDrift, planTopics, type KafkaAdmin, type TopicDrift } from '@ambit/kafka';
import { loadSchema, loadTopics, type DeclaredTopic } from '@ambit/schemas';
import { createSchemaRegistryClient, DEFAULT_COMPATIBILITY, type SchemaRegistry } from '@ambit/serde';
import { EXIT, type Command, type CommandIo } from '../command.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, resolveConfig, type CliConfig } from '../config.ts';

export interface SchemaOutcome {
  readonly subject: string;
  readonly schema: string;
  readonly id: number;
  /** `registered`: a new version was created; `exists`: the registry already had this schema. */
  readonly status: 'registered' | 'exists';
}

export interface ApplyReport {
  readonly namespace: string;
  readonly env: string;
  readonly created: string[];
  readonly unchanged: string[];
  readonly drift: TopicDrift[];
  /** Empty with `--no-register`. */
  readonly schemas: SchemaOutcome[];
}

export const topicsApply: Command = {
  path: ['topics', 'apply'],
  summary: 'create missing topics from schemas/topics.yaml and register their value schemas',
  help: [
    ...CONNECTION_HELP,
    '--no-register        create topics only; do not register schemas (production registers from CI)',
    '--json               print the report as JSON',
  ],
  options: { ...CONNECTION_OPTIONS, 'no-register': { type: 'boolean' }, json: { type: 'boolean' } },
  async run(flags, io) {
    const config = resolveConfig(flags, io.env);
    const declared = loadTopics({ namespace: config.namespace, env: config.env });
    const result = await withAdmin(config, (admin) => applyTopics(admin, declared));
    const schemas = flags['no-register'] ? [] : await registerSchemas(createSchemaRegistryClient({ url: config.registryUrl }), declared);
    const report: ApplyReport = { namespace: config.namespace, env: config.env, ...result, schemas };

    if (flags.json) io.out(JSON.stringify(report, null, 2));
    else printApply(report, declared, io);
    if (report.drift.length > 0) {
      io.err('error: topics differ from schemas/topics.yaml and are never altered by apply; recreate them or change the declaration:');
      for (const d of report.drift) io.err(`  ${describeDrift(d)}`);
      return EXIT.DRIFT;
    }
    return EXIT.OK;
  },
};

export const topicsList: Command = {
  path: ['topics', 'list'],
  summary: 'list declared topics with their state on the broker (ok, missing, drift, undeclared)',
  // Same connection flags as every command (scripts pass one set), though the registry is not used.
  help: [...CONNECTION_HELP, '--json               print the list as JSON'],
  options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } },
  async run(flags, io) {
    const config = resolveConfig(flags, io.env);
    const declared = loadTopics({ namespace: config.namespace, env: config.env });
    const rows = await withAdmin(config, async (admin) => {
      const existing = await admin.listTopics();
      const names = new Set(existing);
      const present = declared.filter((t) => names.has(t.name)).map((t) => t.name);
      const plan = planTopics(declared, present.length === 0 ? [] : await admin.describeTopics(present, ['cleanup.policy']));
      const missing = new Set(plan.create.map((t) => t.name));
      const out = declared.map((t) => ({
        topic: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        cleanupPolicy: t.cleanupPolicy,
        valueSubject: t.valueSubject,
        state: missing.has(t.name) ? 'missing' : plan.drift.some((d) => d.topic === t.name) ? 'drift' : 'ok',
        drift: plan.drift.filter((d) => d.topic === t.name).map(describeDrift),
      }));
      // Topics under the namespace that nothing declares: leftovers or someone else's.
      const declaredNames = new Set(declared.map((t) => t.name));
      const prefix = `${config.namespace}.`;
      for (const name of existing.filter((n) => n.startsWith(prefix) && !declaredNames.has(n)).sort()) {
        out.push({
          topic: name,
          partitions: 0,
          replicationFactor: 0,
          cleanupPolicy: 'delete',
          valueSubject: null,
          state: 'undeclared',
          drift: [],
        });
      }
      return out;
    });
    if (flags.json) {
      io.out(JSON.stringify(rows, null, 2));
      return EXIT.OK;
    }
    io.out(`topics in namespace ${config.namespace} (env ${config.env}):`);
    const width = Math.max(...rows.map((r) => r.topic.length));
    for (const r of rows) {
      const shape = r.state === 'undeclared' ? '' : `  partitions=${r.partitions} rf=${r.replicationFactor} cleanup=${r.cleanupPolicy}`;
      io.out(`  ${r.state.padEnd(10)} ${r.topic.padEnd(width)}${shape}${r.drift.length ? `  (${r.drift.join('; ')})` : ''}`);
    }
    return EXIT.OK;
  },
};

/**
 * Registers each topic's value schema under `<topic>-value` unless the registry already
 * has it (lookup first, so a re-run reports `exists` and creates no version). New subjects
 * get BACKWARD_TRANSITIVE. Sequential: a handful of subjects, deterministic output.
 */
export async function registerSchemas(registry: SchemaRegistry, topics: readonly DeclaredTopic[]): Promise<SchemaOutcome[]> {
  const out: SchemaOutcome[] = [];
  for (const t of topics) {
    if (t.valueSubject === null || t.valueSchema === null) continue;
    const { schema } = loadSchema(t.valueSchema);
    try {
      const found = await registry.lookup(t.valueSubject, schema);
      out.push({ subject: t.valueSubject, schema: t.valueSchema, id: found.id, status: 'exists' });
      continue;
    } catch (e) {
      if (!isAmbitError(e, 'SERDE_UNKNOWN_SCHEMA')) throw e;
    }
    const { id } = await registry.register(t.valueSubject, schema, { compatibility: DEFAULT_COMPATIBILITY });
    out.push({ subject: t.valueSubject, schema: t.valueSchema, id, status: 'registered' });
  }
  return out;
}

async function withAdmin<T>(config: CliConfig, fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = await createAdmin({ brokers: config.brokers, clientId: 'ambit-cli' });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

function printApply(r: ApplyReport, declared: readonly DeclaredTopic[], io: CommandIo): void {
  io.out(`topics apply: namespace ${r.namespace}, env ${r.env}, ${declared.length} topics declared`);
  const byName = new Map(declared.map((t) => [t.name, t]));
  for (const name of r.created) {
    const t = byName.get(name);
    io.out(`  created    ${name}${t ? `  partitions=${t.partitions} rf=${t.replicationFactor} cleanup=${t.cleanupPolicy}` : ''}`);
  }
  for (const name of r.unchanged) io.out(`  unchanged  ${name}`);
  for (const d of r.drift) io.out(`  drift      ${describeDrift(d)}`);
  for (const s of r.schemas) io.out(`  ${s.status.padEnd(10)} ${s.subject}  id=${s.id} (${s.schema})`);
  const registered = r.schemas.filter((s) => s.status === 'registered').length;
  const drifted = new Set(r.drift.map((d) => d.topic)).size;
  io.out(
    `summary: ${r.created.length} created, ${r.unchanged.length} unchanged, ${drifted} drifted; ` +
      `${registered} schemas registered, ${r.schemas.length - registered} already registered`,
  );
}
