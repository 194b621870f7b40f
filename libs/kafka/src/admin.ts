/**
 * Admin operations Ambit needs, over two clients (docs/adr/0002):
 * `@confluentinc/kafka-javascript` for topics and offsets, and KafkaJS (pure JS, admin only)
 * for the two requests the native client does not expose: DescribeCluster (the cluster id)
 * and DescribeConfigs (a topic's cleanup policy, for drift detection).
 * Nothing outside this package sees either client's types or errors.
 */
import { KafkaJS as Confluent } from '@confluentinc/kafka-javascript';
import kafkajs from 'kafkajs';
import { AmbitError } from '@ambit/core';
import { translateKafkaError } from './errors.ts';
import type { KafkaConnection } from './connection.ts';
import { commonConfig } from './connection.ts';

export interface ClusterDescription {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: ReadonlyArray<{ nodeId: number; host: string; port: number }>;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicDescription {
  readonly name: string;
  /** The broker's topic id (base64); changes when a topic is deleted and recreated. */
  readonly topicId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Only the configs asked for (or all non-default ones when none were named). */
  readonly configs: Readonly<Record<string, string>>;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset. */
  readonly low: number;
  /** End offset: the last stable offset under read_committed, else the high watermark. */
  readonly high: number;
}

export interface KafkaAdmin {
  describeCluster(): Promise<ClusterDescription>;
  listTopics(): Promise<string[]>;
  /** Creates the topics that do not exist; an existing topic is not an error. Returns the names created. */
  createTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  /** Throws KAFKA_TOPIC_NOT_FOUND naming the first missing topic. */
  describeTopics(names: readonly string[], configNames?: readonly string[]): Promise<TopicDescription[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** End offsets per partition; read_committed (the last stable offset) unless asked otherwise. Throws KAFKA_TOPIC_NOT_FOUND for a missing topic. */
  endOffsets(topic: string, isolation?: IsolationLevel): Promise<PartitionOffsets[]>;
  /** A group's committed offsets for a topic; `requireStable` waits out pending transactional offsets. */
  committedOffsets(groupId: string, topic: string, requireStable?: boolean): Promise<Map<number, number>>;
  close(): Promise<void>;
}

const kafkajsLogLevel = kafkajs.logLevel.NOTHING;

export async function createAdmin(conn: KafkaConnection): Promise<KafkaAdmin> {
  const native = new Confluent.Kafka({}).admin({
    ...commonConfig(conn),
    kafkaJS: { logLevel: Confluent.logLevel.NOTHING },
  } as Confluent.AdminConstructorConfig);
  const pure = new kafkajs.Kafka({
    clientId: conn.clientId ?? 'ambit-admin',
    brokers: [...conn.brokers],
    logLevel: kafkajsLogLevel,
    connectionTimeout: conn.connectTimeoutMs ?? 3000,
    requestTimeout: conn.requestTimeoutMs ?? 10000,
    retry: { retries: 2, initialRetryTime: 200 },
  }).admin();
  try {
    await Promise.all([native.connect(), pure.connect()]);
  } catch (e) {
    await Promise.allSettled([native.disconnect(), pure.disconnect()]);
    throw translateKafkaError(e, `connect admin to ${conn.brokers.join(',')}`);
  }
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw translateKafkaError(e, what);
    }
  };
  const timeout = conn.requestTimeoutMs ?? 10000;
  const metadata = (names: readonly string[]) =>
    native.fetchTopicMetadata({ topics: [...names], timeout }).catch((e: unknown) => {
      const m = String((e as Error).message);
      if (/unknown topic|UNKNOWN_TOPIC/i.test(m)) {
        throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `topic not found among ${names.join(', ')}`, { cause: e });
      }
      throw e;
    });

  return {
    describeCluster: () =>
      call('describe cluster', async () => {
        const d = await pure.describeCluster();
        return { clusterId: d.clusterId, controllerId: d.controller ?? -1, brokers: d.brokers };
      }),
    listTopics: () => call('list topics', () => native.listTopics({ timeout })),
    createTopics: (specs) =>
      call('create topics', async () => {
        if (specs.length === 0) return [];
        const existing = new Set(await native.listTopics({ timeout }));
        const missing = specs.filter((s) => !existing.has(s.name));
        for (const s of missing) {
          try {
            await native.createTopics({
              timeout,
              topics: [
                {
                  topic: s.name,
                  numPartitions: s.partitions,
                  replicationFactor: s.replicationFactor,
                  configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
                },
              ],
            });
          } catch (e) {
            // Created concurrently by someone else: fine, the caller checks drift.
            if (!/already exists/i.test(String((e as Error).message))) throw e;
          }
        }
        return missing.map((s) => s.name);
      }),
    describeTopics: (names, configNames) =>
      call('describe topics', async () => {
        if (names.length === 0) return [];
        const meta = await metadata(names);
        const cfg = await pure.describeConfigs({
          includeSynonyms: false,
          resources: names.map((name) => ({
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name,
            ...(configNames ? { configNames: [...configNames] } : {}),
          })),
        });
        const configsByTopic = new Map<string, Record<string, string>>();
        for (const r of cfg.resources) {
          if (r.errorCode !== 0) {
            throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `topic ${r.resourceName}: ${r.errorMessage ?? r.errorCode}`);
          }
          const entries: Record<string, string> = {};
          for (const c of r.configEntries) {
            if (configNames || !c.isDefault) entries[c.configName] = c.configValue;
          }
          configsByTopic.set(r.resourceName, entries);
        }
        return names.map((name) => {
          const m = meta.find((t) => t.name === name);
          if (!m) throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `topic ${name} does not exist`);
          return {
            name,
            topicId: uuidToString(m.topicId),
            partitions: m.partitions.length,
            replicationFactor: m.partitions[0]?.replicas.length ?? 0,
            configs: configsByTopic.get(name) ?? {},
          };
        });
      }),
    deleteTopics: (names) => call('delete topics', () => native.deleteTopics({ topics: [...names], timeout })),
    endOffsets: (topic, isolation = 'read_committed') =>
      call(`end offsets of ${topic}`, async () => {
        // The offsets call retries an unknown topic until it exists, i.e. forever: ask first.
        await metadata([topic]);
        const rows = await native.fetchTopicOffsets(topic, {
          timeout,
          isolationLevel:
            isolation === 'read_committed' ? Confluent.IsolationLevel.READ_COMMITTED : Confluent.IsolationLevel.READ_UNCOMMITTED,
        });
        return rows
          .map((r) => ({ partition: r.partition, low: Number(r.low), high: Number(r.high) }))
          .sort((a, b) => a.partition - b.partition);
      }),
    committedOffsets: (groupId, topic, requireStable = true) =>
      call(`committed offsets of ${groupId}`, async () => {
        const res = await native.fetchOffsets({ groupId, topics: [topic], timeout, requireStableOffsets: requireStable });
        const out = new Map<number, number>();
        for (const t of res) for (const p of t.partitions) out.set(p.partition, Number(p.offset));
        return out;
      }),
    close: async () => {
      await Promise.allSettled([native.disconnect(), pure.disconnect()]);
    },
  };
}

/** The client returns topic ids as `{ mostSignificantBits, leastSignificantBits, base64 }`. */
function uuidToString(id: unknown): string {
  if (id == null) return '';
  if (typeof id === 'string') return id;
  const b64 = (id as { base64?: unknown }).base64;
  if (typeof b64 === 'string' && b64.length > 0) return b64;
  throw new AmbitError('KAFKA_UNKNOWN', 'topic metadata carried no usable topic id');
}
