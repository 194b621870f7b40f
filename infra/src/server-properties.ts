/**
 * The broker's server.properties: a single-node KRaft cluster (broker + controller in one
 * process) on 127.0.0.1 that supports transactions. Pure: rendering only, no I/O.
 * The test-profile values are explained in infra/README.md ("The test profile").
 */
import type { Profile } from './config.ts';

export interface BrokerSettings {
  readonly profile: Profile;
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly logDir: string;
  /** Applied last: callers may override anything. */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** Every profile: one node that is broker and controller, replication factor 1 everywhere. */
function baseProperties(s: BrokerSettings): Record<string, string> {
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    // Static voters: a plain `StorageTool format` works (a dynamic quorum needs --standalone).
    'controller.quorum.voters': `1@${s.host}:${s.controllerPort}`,
    listeners: `PLAINTEXT://${s.host}:${s.port},CONTROLLER://${s.host}:${s.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${s.host}:${s.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': s.logDir,
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    // Internal topics default to 50 partitions: slow to create on a 2-core laptop.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '4',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'share.coordinator.state.topic.num.partitions': '4',
    // Topics are declared in schemas/topics.yaml and applied explicitly; a typo must fail, not create.
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': '0',
  };
}

/** Short timeouts and small buffers for integration tests on a 2-core machine. */
export const TEST_BROKER_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({
  // Classic protocol: lets a test consumer use session.timeout.ms down to 1 s, so a killed member is noticed fast.
  'group.min.session.timeout.ms': '1000',
  // KIP-848 protocol: session and heartbeat are broker-side (45 s / 5 s by default).
  'group.consumer.min.session.timeout.ms': '1000',
  'group.consumer.session.timeout.ms': '6000',
  'group.consumer.min.heartbeat.interval.ms': '500',
  'group.consumer.heartbeat.interval.ms': '1000',
  // A transaction left open by a killed producer is aborted within ~1 s of its timeout, not 10 s.
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000',
  'transaction.remove.expired.transaction.cleanup.interval.ms': '10000',
  // The cleaner allocates this buffer up front (128 MiB by default) out of a 512 MiB heap.
  'log.cleaner.dedupe.buffer.size': '2097152',
  'num.network.threads': '2',
  'num.io.threads': '2',
  'background.threads': '4',
  'log.retention.check.interval.ms': '10000',
  'offsets.retention.check.interval.ms': '60000',
});

export function brokerProperties(s: BrokerSettings): Record<string, string> {
  return {
    ...baseProperties(s),
    ...(s.profile === 'test' ? TEST_BROKER_PROPERTIES : {}),
    ...(s.overrides ?? {}),
  };
}

/** Java .properties text; keys keep insertion order. */
export function renderProperties(props: Readonly<Record<string, string>>, header?: string): string {
  const lines = header ? header.split('\n').map((l) => `# ${l}`) : [];
  for (const [k, v] of Object.entries(props)) lines.push(`${escapeKey(k)}=${escapeValue(v)}`);
  return lines.join('\n') + '\n';
}

// Backslash is the escape character in .properties; a Windows path would otherwise lose its separators.
function escapeValue(v: string): string {
  return v
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/^\s/, (c) => `\\${c}`);
}

function escapeKey(k: string): string {
  return escapeValue(k).replace(/[=:\s]/g, (c) => `\\${c}`);
}
