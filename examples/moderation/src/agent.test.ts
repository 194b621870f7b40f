/** The moderation agent's unit tests, on the in-memory driver: no broker, no registry. */
import { describe, expect, it } from 'vitest';
import type { ContentSubmitted } from '@ambit/schemas';
import { createTestDriver } from '@ambit/testing/driver';
import agentDefault, { agent, AGENT_NAME, AGENT_VERSION, foldAll } from './agent.ts';

const submission = (id: number, text: string): ContentSubmitted => ({
  tenant: 't1',
  contentId: `t1:c${id}`,
  userId: 't1:u1',
  text,
  submittedAt: 1_700_000_000_000 + id,
  locale: null,
});

describe('moderator agent', () => {
  it('is declared as the host expects', () => {
    expect(agentDefault).toBe(agent);
    expect(agent.name).toBe(AGENT_NAME);
    expect(agent.version).toBe(AGENT_VERSION);
    expect(agent.inputs.content.topic).toBe('content.submitted');
    expect((agent.inputs.content.schema as { name: string }).name).toBe('ContentSubmitted');
    expect(Object.keys(agent.stores)).toEqual(['trends']);
  });

  it('folds every submission into the author trend and emits one decision each', async () => {
    const driver = await createTestDriver(agent);
    const inputs = [submission(1, 'hello there'), submission(2, 'you idiot, spam'), submission(3, 'nice')];
    for (const s of inputs) await driver.pipe('content', 't1:u1', s);
    expect(driver.effects).toHaveLength(0);
    expect(await driver.get('trends', 't1:u1')).toEqual(foldAll(inputs));
    expect(driver.decisions.map((d) => d.input).map((d) => [d.kind, d.outcome])).toEqual([
      ['moderation.verdict', 'approve'],
      ['moderation.verdict', 'flag'],
      ['moderation.verdict', 'approve'],
    ]);
  });

  it('requests removal only on a confident remove verdict', async () => {
    const driver = await createTestDriver(agent);
    await driver.pipe('content', 't1:u1', submission(1, 'scam scam'));
    expect(driver.decisions[0]!.input).toMatchObject({ outcome: 'remove', confidenceBp: 8000 });
    expect(driver.effects).toHaveLength(0);

    await driver.pipe('content', 't1:u1', submission(2, 'bomb threat'));
    expect(driver.effects.map((e) => e.input)).toEqual([
      {
        tenant: 't1',
        effectType: 'content.remove',
        target: 't1:c2',
        payload: { contentId: 't1:c2', userId: 't1:u1' },
        confidenceBp: 9000,
        reason: 'matched bomb, threat',
      },
    ]);
    expect(driver.decisions[1]!.input).toMatchObject({ outcome: 'remove', confidenceBp: 9000, effectId: driver.effects[0]!.id });
    expect(driver.effects[0]!.id).toMatch(/^t1:[0-9a-f]{32}$/);
  });

  it('never puts the raw text into a decision', async () => {
    const driver = await createTestDriver(agent);
    await driver.pipe('content', 't1:u1', submission(1, 'my phone is 555-0100, you idiot spammer'));
    expect(driver.decisions).toHaveLength(1);
    expect(JSON.stringify(driver.decisions)).not.toContain('555-0100');
  });
});
