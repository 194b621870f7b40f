/**
 * The moderation agent end to end on two real hosts (no faults): every input causes exactly
 * one decision, in each user's order, confident removals exactly one effect request, and
 * the changelog and the stores hold the fold of each user's inputs (the shared checks of
 * scenario.ts, which the process-killing suites run too). Plus what a subscriber sees:
 * provenance headers and a decision that decodes through the registry.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllHosts, readTopicFully, testPlatform } from '@ambit/testing';
import { AGENT_NAME, AGENT_VERSION } from '../src/agent.ts';
import { runScenario } from './scenario.ts';
import { decisionSerde } from './support.ts';

afterAll(() => killAllHosts());

describe('moderation agent on two hosts', () => {
  it('decides every submission exactly once and keeps the folded trend per user', { timeout: 180_000 }, async () => {
    const platform = testPlatform();
    const { namespace: ns, produced } = await runScenario({
      name: 'mod',
      seed: 11,
      slots: 2,
      startWith: 2,
      ratePerSec: 300,
      durationMs: 2_000,
      users: 50,
      during: async () => undefined,
    });
    expect(produced).toBeGreaterThanOrEqual(500);

    const decisions = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions` });
    expect(decisions).toHaveLength(produced);
    const first = decisions[0]!;
    expect(first.headers['ambit-agent']?.toString()).toBe(AGENT_NAME);
    expect(first.headers['ambit-agent-version']?.toString()).toBe(AGENT_VERSION);
    const decoded = await decisionSerde(platform, ns).deserialize(first.value!);
    expect(decoded).toMatchObject({ kind: 'moderation.verdict', madeBy: 'AGENT' });
    // Some submissions are confident removals (checked one for one inside the scenario).
    const effects = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.effects.requested` });
    expect(effects.length).toBeGreaterThan(0);
  });
});
