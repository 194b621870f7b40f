/**
 * What a runner needs before its loop starts, built from the agent's declaration and the
 * config: the input serdes, the output encoder (effects, decisions, declared outputs, DLQ)
 * and the step journal, all registered under the namespace's subjects.
 */
import { decisionsTopic, effectsTopic, topicName } from '@ambit/core';
import type { AnyAgentDefinition, InputSpec, OutputSpec } from '@ambit/agent-api';
import type { Logger } from '@ambit/core';
import type { KafkaConnection } from '@ambit/kafka';
import { loadSchema } from '@ambit/schemas';
import { avroSerde, createSchemaRegistryClient, valueSubject, type Serde } from '@ambit/serde';
import type { RuntimeConfig } from './config.ts';
import type { Input } from './executor.ts';
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
