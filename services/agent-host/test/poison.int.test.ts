/**
 * A record that crashes the host process: it is re-run alone after each unclean restart,
 * counted outside the transaction, and dead-lettered after the third crash; no other record
 * goes to the DLQ, every other record has exactly one committed decision, and the host then
 * stays up.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProducer } from '@ambit/kafka';
import { HostSlot, killAllHosts, readTopicFully, testClientProfile, testPlatform, uniqueName } from '@ambit/testing';
import { contentSerde, makeSubmission, setUpNamespace, userKeys } from '../../../examples/moderation/test/support.ts';
import { CRASH_MARKER } from './fixtures/crashing-agent.ts';

const platform = testPlatform();
afterAll(() => killAllHosts());

const COUNT = 240;
const POISON = 130;

describe('a record that crashes the host', () => {
  it(
    'is dead-lettered after three crashes with concurrency on; nothing else is, every other record is decided once, the host stays up',
    { timeout: 240_000 },
    async () => {
      const ns = uniqueName('poison');
      await setUpNamespace(platform, ns);
      const topic = `${ns}.content.submitted`;
      const serde = contentSerde(platform, ns);
      const keys = userKeys(24);
      const producer = await createProducer({ brokers: platform.brokers });
      const sources: string[] = [];
      try {
        const records = [];
        for (let i = 0; i < COUNT; i++) {
          const s = makeSubmission(i, keys[i % keys.length]!);
          records.push({
            topic,
            key: keys[i % keys.length]!,
            value: await serde.serialize(i === POISON ? { ...s, text: `${s.text} ${CRASH_MARKER}` } : s),
          });
        }
        const reports = await producer.send(records);
        for (const r of reports) sources.push(`content.submitted/${r.partition}/${r.offset}`);
      } finally {
        await producer.close();
      }
      const poisonSource = sources[POISON]!;

      const slot = new HostSlot({
        name: 'crashy',
        args: ['--module', 'services/agent-host/test/fixtures/crashing-agent.ts'],
        env: {
          KAFKA_BROKERS: platform.brokers.join(','),
          SCHEMA_REGISTRY_URL: platform.registryUrl,
          AMBIT_NAMESPACE: ns,
          AMBIT_INSTANCE_ID: 'crashy',
          AMBIT_STATE_DIR: join(mkdtempSync(join(tmpdir(), 'ambit-poison-')), 'crashy'),
          AMBIT_SESSION_TIMEOUT_MS: String(testClientProfile.sessionTimeoutMs),
          AMBIT_TRANSACTION_TIMEOUT_MS: String(testClientProfile.transactionTimeoutMs),
          AMBIT_LOG_LEVEL: 'warn',
          // With key-level concurrency on: the in-flight records re-run one at a time after each crash.
          AMBIT_MAX_IN_FLIGHT: '16',
          AMBIT_MAX_CRASH_ATTEMPTS: '3', // the runtime default; the harness raises it for kill suites
        },
      });
      const decided = async () => (await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions`, partitions: 6 })).length;
      let crashes = 0;
      slot.start();
      const deadline = Date.now() + 200_000;
      while ((await decided()) < COUNT - 1) {
        if (Date.now() > deadline) throw new Error(`stuck after ${crashes} crashes:\n${slot.process.stderrTail(20)}`);
        const exit = slot.process.exited;
        if (exit) {
          expect(exit.signal, `host exited by itself:\n${slot.process.stderrTail(20)}`).toBe('SIGKILL');
          crashes++;
          expect(crashes).toBeLessThanOrEqual(3);
          slot.start();
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      // It stays up: nothing left to crash it.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(slot.process.exited).toBeUndefined();
      expect(crashes).toBe(3);
      await slot.process.stop(30_000);

      const decisions = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions`, partitions: 6 });
      const decidedSources = decisions.map((d) => d.headers['ambit-source']!.toString());
      expect(decidedSources).toHaveLength(COUNT - 1);
      expect(new Set(decidedSources)).toEqual(new Set(sources.filter((s) => s !== poisonSource)));
      const dlq = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.moderator.dlq`, partitions: 6 });
      expect(dlq).toHaveLength(1);
      expect(dlq[0]!.headers['ambit-source']!.toString()).toBe(poisonSource);
      expect(dlq[0]!.headers['ambit-dlq-code']!.toString()).toBe('RUNTIME_POISON_RECORD');
      expect(dlq[0]!.headers['ambit-dlq-attempts']!.toString()).toBe('3');
      // The original bytes, as produced.
      expect((await serde.deserialize(dlq[0]!.value!)).text).toContain(CRASH_MARKER);
    },
  );
});
