/**
 * The agent's topics as the broker has them: checks that its inputs and outputs exist and
 * are co-partitioned (invariant 1, docs/invariants.md), creates its internal topics
 * (changelogs, journal, inbox, DLQ) with the environment's settings (schemas/topics.yaml), and remembers what it found.
 * Source of truth for the input partition count and each internal topic's id and
 * tombstone retention, as described at start.
 */
import { AmbitError, isAmbitError, changelogTopic, dlqTopic, journalTopic } from '@ambit/core';
import type { KafkaAdmin } from '@ambit/kafka';

/** One internal topic to create, as the environment declares it (schemas/topics.yaml). */
export interface InternalTopicSpec {
  readonly name: string;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface InternalTopicsOptions {
  readonly admin: KafkaAdmin;
  readonly namespace: string;
  readonly agent: string;
  /** Input topics, with namespace. */
  readonly inputs: readonly string[];
  /** Output topics that must exist (decisions, effects, declared outputs), with namespace. */
  readonly outputs: readonly string[];
  /** Store names with a changelog (user stores plus the runtime's internal ones). */
  readonly stores: readonly string[];
  /** Specs of the internal topics for a partition count (the environment's settings). */
  readonly specs: (partitions: number) => readonly InternalTopicSpec[];
}

export interface InternalTopicInfo {
  readonly topicId: string;
  /** The changelog's delete.retention.ms: how long compaction keeps a tombstone. */
  readonly deleteRetentionMs: number;
}

export class InternalTopics {
  readonly #o: InternalTopicsOptions;
  #partitions = 0;
  readonly #info = new Map<string, InternalTopicInfo>();

  constructor(options: InternalTopicsOptions) {
    this.#o = options;
  }

  /** The partition count of every input (and internal topic): the number of tasks. */
  get partitions(): number {
    return this.#partitions;
  }

  /** A topic's id and tombstone retention as described at start (empty for an unknown topic). */
  info(topic: string): InternalTopicInfo {
    return this.#info.get(topic) ?? { topicId: '', deleteRetentionMs: 0 };
  }

  changelog(store: string): string {
    return changelogTopic(this.#o.namespace, this.#o.agent, store);
  }

  get journal(): string {
    return journalTopic(this.#o.namespace, this.#o.agent);
  }

  get dlq(): string {
    return dlqTopic(this.#o.namespace, this.#o.agent);
  }

  /** Checks inputs and outputs, creates the internal topics, and describes them back. */
  async ensure(): Promise<void> {
    const { admin, inputs, outputs } = this.#o;
    const existing = new Set(await admin.listTopics());
    const missing = [...inputs, ...outputs].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', `topics missing: ${missing.join(', ')} (create them with \`pnpm ambit topics apply\`)`);
    }
    const described = await admin.describeTopics(inputs);
    const counts = new Set(described.map((d) => d.partitions));
    if (counts.size !== 1) {
      throw new AmbitError(
        'CONFIG_INVALID',
        `co-partitioning mismatch: the inputs of agent ${this.#o.agent} must have equal partition counts, got ` +
          described.map((d) => `${d.name}=${d.partitions}`).join(', '),
      );
    }
    this.#partitions = described[0]!.partitions;
    const topics = this.#o.specs(this.#partitions);
    await admin.createTopics(
      topics.map((t) => ({ name: t.name, partitions: this.#partitions, replicationFactor: t.replicationFactor, configs: t.configs })),
    );
    for (const d of await this.#describe(topics.map((t) => t.name))) {
      if (d.partitions !== this.#partitions) {
        throw new AmbitError(
          'CONFIG_INVALID',
          `co-partitioning mismatch: ${d.name} has ${d.partitions} partitions, the inputs of agent ${this.#o.agent} have ${this.#partitions}`,
        );
      }
      const retention = Number(d.configs['delete.retention.ms']);
      // Unknown (not reported): assume the shortest, so an old store is rebuilt.
      this.#info.set(d.name, { topicId: d.topicId, deleteRetentionMs: Number.isFinite(retention) ? retention : 0 });
    }
  }

  /** A topic another process just created may not be in metadata yet: wait for it briefly. */
  async #describe(names: readonly string[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#o.admin.describeTopics(names, ['delete.retention.ms']);
      } catch (e) {
        if (!isAmbitError(e, 'KAFKA_TOPIC_NOT_FOUND') || attempt >= 40) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}
