/**
 * The moderation agent end to end on two real hosts (no faults): every input causes exactly
 * one decision, confident removals exactly one effect request, and the changelog and the
 * stores hold the fold of each user's inputs. The kill suite builds on the same support.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExactlyOnce, killAllHosts, latestByKey, produceSteadily, readTopicFully, testPlatform, uniqueName } from '@ambit/testing';
import { AGENT_NAME, AGENT_VERSION, TRENDS_STORE, type TrendState } from '../src/agent.ts';
import {
  contentSerde,
  decisionSerde,
  expectations,
  hostSlots,
  makeSubmission,
  readStoresFromDisk,
  setUpNamespace,
  stateDiff,
  stopAllGracefully,
  userKeys,
  waitForInputsCommitted,
  waitForTasksRunning,
} from './support.ts';

const platform = testPlatform();
const PARTITIONS = 6; // content.submitted in schemas/topics.yaml

const stateRoots: string[] = [];

afterAll(async () => {
  await killAllHosts();
  for (const dir of stateRoots) rmSync(dir, { recursive: true, force: true });
});

describe('moderation agent on two hosts', () => {
  it('decides every submission exactly once and keeps the folded trend per user', { timeout: 180_000 }, async () => {
    const ns = uniqueName('mod');
    await setUpNamespace(platform, ns);
    const stateRoot = mkdtempSync(join(tmpdir(), 'ambit-mod-'));
    stateRoots.push(stateRoot);
    const slots = hostSlots(2, { prefix: 'mod', platform, namespace: ns, stateRoot });
    slots.forEach((s) => s.start());
    await waitForTasksRunning(() => slots.map((s) => s.process), PARTITIONS, 90_000, { everyHostBusy: true });

    const serde = contentSerde(platform, ns);
    const submissions = new Map<number, ReturnType<typeof makeSubmission>>();
    const result = await produceSteadily({
      brokers: platform.brokers,
      topic: `${ns}.content.submitted`,
      ratePerSec: 300,
      durationMs: 2_000,
      keys: userKeys(50),
      makeValue: (i, key) => {
        const s = makeSubmission(i, key);
        submissions.set(i, s);
        return serde.serialize(s);
      },
    });
    const produced = result.records.map((r) => ({ ...r, submission: submissions.get(r.i)! }));
    const want = expectations(produced);
    expect(want.removalSources.size).toBeGreaterThan(0);

    await waitForInputsCommitted(platform, ns, 60_000);

    const decisions = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions` });
    expect(checkExactlyOnce(decisions, want.sources)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    const first = decisions[0]!;
    expect(first.headers['ambit-agent']?.toString()).toBe(AGENT_NAME);
    expect(first.headers['ambit-agent-version']?.toString()).toBe(AGENT_VERSION);
    const decoded = await decisionSerde(platform, ns).deserialize(first.value!);
    expect(decoded).toMatchObject({ kind: 'moderation.verdict', madeBy: 'AGENT' });

    const effects = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.effects.requested` });
    expect(checkExactlyOnce(effects, want.removalSources)).toEqual({ missing: [], duplicates: [], unexpected: [] });

    const changelog = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.${AGENT_NAME}.${TRENDS_STORE}.changelog` });
    const fromChangelog = new Map([...latestByKey(changelog)].map(([k, v]) => [k, JSON.parse(v.toString('utf8')) as TrendState]));
    expect(stateDiff(fromChangelog, want.states)).toEqual([]);

    await stopAllGracefully(slots);
    const onDisk = await readStoresFromDisk(
      slots.map((s) => s.spec.env!.AMBIT_STATE_DIR!),
      PARTITIONS,
    );
    expect(stateDiff(onDisk, want.states)).toEqual([]);
  });
});
