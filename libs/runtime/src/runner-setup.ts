/**
 * What a runner needs before its loop starts, built from the agent's declaration and the
 * config: its topics checked and created, the input serdes, the output encoder (effects,
 * decisions, declared outputs, DLQ), the step journal, the producer and transaction, the
 * record processor and executor, the fetcher, the task manager and the scheduler, wired
 * together. The runner adds the consumer (whose hooks call back into it) and the loop.
 */
import type { AnyAgentDefinition, InputSpec, OutputSpec } from '@ambit/agent-api';
import { decisionsTopic, effectsTopic, topicName, transactionalId, type Logger } from '@ambit/core';
import { createAdmin, type KafkaAdmin, type KafkaConnection, type KafkaConsumer } from '@ambit/kafka';
import { agentTopicSpecs, loadSchema, readTopicsFile } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject, type Serde } from '@ambit/serde';
import type { RuntimeConfig } from './config.ts';
import { Executor, type Input } from './executor.ts';
import { Fetcher } from './fetcher.ts';
import { InternalTopics } from './internal-topics.ts';
import { RecordProcessor, TIMER_STORE } from './processor/index.ts';
import { ProducerLifecycle } from './producer-lifecycle.ts';
import type { Restorer } from './restorer.ts';
import { Scheduler, type SchedulerHost } from './scheduler.ts';
import { TaskManager } from './task-manager.ts';
import { PROGRESS_STORE } from './task-progress.ts';
import { Transaction } from './transaction.ts';
import { KafkaJournal, type JournalEntryValue } from './journal.ts';
import { OutputEncoder } from './output-encoder.ts';

export interface Codecs {
  readonly inputs: readonly Input[];
  readonly encoder: OutputEncoder;
  readonly journal: KafkaJournal;
}

export function createCodecs(args: {
  cfg: RuntimeConfig;
  agent: AnyAgentDefinition;
  journalTopic: string;
  dlqTopic: string;
  conn: KafkaConnection;
  logger: Logger;
}): Codecs {
  const { cfg, agent } = args;
  const ns = cfg.namespace;
  const registry = createSchemaRegistryClient({ url: cfg.registryUrl });
  const serde = (topic: string, schema: object, autoRegister = cfg.registerSchemas): Serde<unknown> =>
    avroSerde({ registry, subject: valueSubject(topic), schema, autoRegister });
  const inputs = Object.entries(agent.inputs as Record<string, InputSpec<unknown>>).map(([alias, spec]) => {
    const topic = topicName(ns, spec.topic);
    return { alias, declared: spec.topic, topic, serde: serde(topic, spec.schema) };
  });
  const outputs = new Map(
    Object.entries((agent.outputs ?? {}) as Record<string, OutputSpec<unknown>>).map(([alias, spec]) => {
      const topic = topicName(ns, spec.topic);
      return [alias, { topic, serde: serde(topic, spec.schema) }] as const;
    }),
  );
  const encoder = new OutputEncoder({
    agent: agent.name,
    version: agent.version,
    effectsTopic: effectsTopic(ns),
    decisionsTopic: decisionsTopic(ns),
    dlqTopic: args.dlqTopic,
    effectSerde: serde(effectsTopic(ns), loadSchema('EffectRequest').schema),
    decisionSerde: serde(decisionsTopic(ns), loadSchema('Decision').schema),
    outputs,
  });
  const journal = new KafkaJournal({
    conn: args.conn,
    topic: args.journalTopic,
    // Internal data: the runtime registers its own subject, as it creates its own topics.
    serde: serde(args.journalTopic, loadSchema('JournalEntry').schema, true) as Serde<JournalEntryValue>,
    agent: { name: agent.name, version: agent.version },
    logger: args.logger,
  });
  return { inputs, encoder, journal };
}

export interface Parts {
  readonly admin: KafkaAdmin;
  readonly topics: InternalTopics;
  readonly inputs: readonly Input[];
  readonly journal: KafkaJournal;
  readonly producers: ProducerLifecycle;
  readonly txn: Transaction;
  readonly fetcher: Fetcher;
  readonly tasks: TaskManager;
  readonly scheduler: Scheduler;
}

export async function assemble(args: {
  agent: AnyAgentDefinition;
  cfg: RuntimeConfig;
  conn: KafkaConnection;
  logger: Logger;
  consumer: () => KafkaConsumer;
  restorer: () => Restorer;
  host: SchedulerHost;
}): Promise<Parts> {
  const { agent, cfg, conn, logger } = args;
  const ns = cfg.namespace;
  const stores = [...Object.keys(agent.stores), ...(agent.onTimer ? [TIMER_STORE] : []), PROGRESS_STORE];
  const declaredOutputs = Object.values((agent.outputs ?? {}) as Record<string, OutputSpec<unknown>>);
  const admin = await createAdmin(conn);
  await admin.describeCluster();
  const topics = new InternalTopics({
    admin,
    namespace: ns,
    agent: agent.name,
    inputs: Object.values(agent.inputs as Record<string, InputSpec<unknown>>).map((s) => topicName(ns, s.topic)),
    outputs: [decisionsTopic(ns), effectsTopic(ns), ...declaredOutputs.map((o) => topicName(ns, o.topic))],
    stores,
    specs: (partitions) =>
      agentTopicSpecs(readTopicsFile(), { namespace: ns, env: cfg.environment, agent: agent.name, stores, partitions }),
  });
  await topics.ensure();
  const codecs = createCodecs({ cfg, agent, journalTopic: topics.journal, dlqTopic: topics.dlq, conn, logger });
  const producers = new ProducerLifecycle({
    conn,
    transactionalId: transactionalId(ns, agent.name, cfg.instanceId),
    instanceId: cfg.instanceId,
    transactionTimeoutMs: cfg.transactionTimeoutMs,
    lingerMs: 5,
    logger,
  });
  await producers.start();
  const txn = new Transaction(producers, codecs.journal, {
    pauseBeforeCommit: cfg.faultPauseBeforeCommit,
    afterCommit: cfg.testHooks.afterCommit,
  });
  const processor = new RecordProcessor({
    agent,
    handlerAttempts: cfg.handlerAttempts,
    handlerTimeoutMs: cfg.handlerTimeoutMs,
    stepEntryMaxBytes: cfg.stepEntryMaxBytes,
    keyScoped: cfg.maxInFlight > 1,
    logger,
  });
  const executor = new Executor({
    processor,
    encoder: codecs.encoder,
    txn,
    journal: codecs.journal,
    inputs: codecs.inputs,
    partitions: () => topics.partitions,
    notStalled: () => args.host.notStalled(),
    logger,
  });
  const fetcher = new Fetcher(args.consumer, cfg.pollRecords, 50);
  const tasks = new TaskManager({
    agent: agent.name,
    stateDir: cfg.stateDir,
    stores,
    inputs: codecs.inputs,
    topics,
    journal: codecs.journal,
    admin,
    consumer: args.consumer,
    fetcher,
    restorer: args.restorer,
    forcedRestoreProbability: cfg.forcedRestoreProbability,
    stateCacheMaxBytes: cfg.stateCacheMaxBytes,
    logger,
  });
  const scheduler = new Scheduler(
    {
      maxInFlight: cfg.maxInFlight,
      maxDistance: cfg.maxDistance,
      maxCrashAttempts: cfg.maxCrashAttempts,
      handlerTimeoutMs: cfg.handlerTimeoutMs,
      handlerAttempts: cfg.handlerAttempts,
      batchBudgetMs: cfg.commitIntervalMs,
      timersEnabled: agent.onTimer !== undefined,
      executor,
      txn,
      consumer: args.consumer,
      logger,
    },
    args.host,
  );
  return { admin, topics, inputs: codecs.inputs, journal: codecs.journal, producers, txn, fetcher, tasks, scheduler };
}
