/**
 * `moderator`: the demo content-moderation agent. For every submission it classifies the
 * text (classify.ts), folds it into the author's trend (trends.ts), records a
 * `moderation.verdict` decision, and asks the gateway to remove the content when it is
 * confident the content must go. It never acts on the world itself.
 */
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { loadSchema, type ContentSubmitted } from '@ambit/schemas';
import { classify, isConfidentRemove } from './classify.ts';
import { fold, type TrendState } from './trends.ts';

export { classify, isConfidentRemove, CONFIDENT_REMOVE_BP, TERMS } from './classify.ts';
export type { Outcome, Verdict } from './classify.ts';
export { EMPTY_CHAIN, fnv1a32, fold, foldAll } from './trends.ts';
export type { TrendEvent, TrendState } from './trends.ts';

export const AGENT_NAME = 'moderator';
export const AGENT_VERSION = '1.0.0';
export const INPUT_TOPIC = 'content.submitted';
export const TRENDS_STORE = 'trends';

export const agent = defineAgent({
  name: AGENT_NAME,
  version: AGENT_VERSION,
  inputs: {
    content: input<ContentSubmitted>(INPUT_TOPIC, loadSchema('ContentSubmitted').schema),
  },
  stores: {
    // Keyed by the record key, the author's user id.
    trends: jsonStore<TrendState>(),
  },
  handlers: {
    async content(ctx, submission) {
      const verdict = classify(submission.text);
      const trend = fold(await ctx.stores.trends.get(ctx.key), submission);
      ctx.stores.trends.put(ctx.key, trend);

      const reason = verdict.terms.length === 0 ? 'no listed terms' : `matched ${verdict.terms.join(', ')}`;
      const effectId = isConfidentRemove(verdict)
        ? ctx.emitEffect({
            tenant: submission.tenant,
            effectType: 'content.remove',
            target: submission.contentId,
            payload: { contentId: submission.contentId, userId: submission.userId },
            confidenceBp: verdict.confidenceBp,
            reason,
          })
        : undefined;
      ctx.emitDecision({
        tenant: submission.tenant,
        kind: 'moderation.verdict',
        outcome: verdict.outcome,
        confidenceBp: verdict.confidenceBp,
        reason,
        detail: { contentId: submission.contentId, score: verdict.score, userCount: trend.count, userFlagged: trend.flagged },
        ...(effectId === undefined ? {} : { effectId }),
      });
    },
  },
});

export default agent;
