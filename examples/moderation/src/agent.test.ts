/**
 * The handler against a hand-made context (the in-memory driver does not exist yet):
 * what it writes to `trends`, which decisions and effects it emits.
 */
import { describe, expect, it } from 'vitest';
import type { AgentContext, DecisionInput, EffectInput, Store } from '@ambit/agent-api';
import type { ContentSubmitted } from '@ambit/schemas';
import agentDefault, { agent, AGENT_NAME, AGENT_VERSION, foldAll, INPUT_TOPIC, type TrendState } from './agent.ts';

function fakeContext(key: string, trends: Map<string, TrendState>) {
  const decisions: DecisionInput[] = [];
  const effects: EffectInput[] = [];
  const store: Store<TrendState> = {
    get: async (k) => trends.get(k),
    put: (k, v) => void trends.set(k, v),
    delete: (k) => void trends.delete(k),
    range: () => {
      throw new Error('not used');
    },
  };
  const ctx: AgentContext<{ trends: TrendState }> = {
    key,
    record: { topic: INPUT_TOPIC, partition: 0, offset: 0, timestamp: 0, headers: {} },
    now: () => 0,
    stores: { trends: store },
    emitEffect: (e) => (effects.push(e), `${e.tenant}:effect-${effects.length}`),
    emitDecision: (d) => (decisions.push(d), `${d.tenant}:decision-${decisions.length}`),
    timers: {
      set: () => {
        throw new Error('the moderation agent sets no timers');
      },
      cancel: () => {
        throw new Error('the moderation agent sets no timers');
      },
    },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  return { ctx, decisions, effects };
}

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
    const trends = new Map<string, TrendState>();
    const inputs = [submission(1, 'hello there'), submission(2, 'you idiot, spam'), submission(3, 'nice')];
    const all: DecisionInput[] = [];
    for (const s of inputs) {
      const { ctx, decisions, effects } = fakeContext('t1:u1', trends);
      await agent.handlers.content(ctx, s);
      expect(decisions).toHaveLength(1);
      expect(effects).toHaveLength(0);
      all.push(...decisions);
    }
    expect(trends.get('t1:u1')).toEqual(foldAll(inputs));
    expect(all.map((d) => [d.kind, d.outcome])).toEqual([
      ['moderation.verdict', 'approve'],
      ['moderation.verdict', 'flag'],
      ['moderation.verdict', 'approve'],
    ]);
  });

  it('requests removal only on a confident remove verdict', async () => {
    const trends = new Map<string, TrendState>();
    const weak = fakeContext('t1:u1', trends);
    await agent.handlers.content(weak.ctx, submission(1, 'scam scam'));
    expect(weak.decisions[0]).toMatchObject({ outcome: 'remove', confidenceBp: 8000 });
    expect(weak.effects).toHaveLength(0);

    const strong = fakeContext('t1:u1', trends);
    await agent.handlers.content(strong.ctx, submission(2, 'bomb threat'));
    expect(strong.effects).toEqual([
      {
        tenant: 't1',
        effectType: 'content.remove',
        target: 't1:c2',
        payload: { contentId: 't1:c2', userId: 't1:u1' },
        confidenceBp: 9000,
        reason: 'matched bomb, threat',
      },
    ]);
    expect(strong.decisions[0]).toMatchObject({ outcome: 'remove', confidenceBp: 9000, effectId: 't1:effect-1' });
  });

  it('never puts the raw text into a decision', async () => {
    const { ctx, decisions } = fakeContext('t1:u1', new Map());
    await agent.handlers.content(ctx, submission(1, 'my phone is 555-0100, you idiot spammer'));
    expect(JSON.stringify(decisions)).not.toContain('555-0100');
  });
});
