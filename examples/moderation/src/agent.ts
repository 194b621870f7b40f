/**
 * `moderator`: the demo content-moderation agent. For every submission it classifies the
 * text (classify.ts), folds it into the author's trend (trends.ts), records a
 * `moderation.verdict` decision, and asks the gateway to remove the content when it is
 * confident the content must go. It never acts on the world itself.
 */
import { defineAgent, input, jsonStore } from '@ambit/agent-api';
import { createModelClient, modelConfigFromEnv, type ModelClient } from '@ambit/model';
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

/**
 * A second opinion from a model when one is configured (AMBIT_MODEL_BASE_URL, AMBIT_MODEL):
 * asked in a durable step, so a re-run after a crash does not pay for it again. It is
 * recorded on the decision; the verdict itself stays the local, deterministic classifier's.
 */
const model: ModelClient | undefined = process.env.AMBIT_MODEL_BASE_URL ? createModelClient(modelConfigFromEnv(process.env)) : undefined;

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
      const opinion =
        model === undefined
          ? undefined
          : await ctx.step(
              'second-opinion',
              async (step) => {
                const answer = await model.chat(
                  {
                    messages: [
                      { role: 'system', content: 'Label this post "ok" or "flag". Answer as JSON {"label":...,"score":...}.' },
                      { role: 'user', content: submission.text },
                    ],
                    maxTokens: 32,
                  },
                  step,
                );
                return answer.content;
              },
              { input: submission.text, timeoutMs: 10_000 },
            );
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
        detail: {
          contentId: submission.contentId,
          score: verdict.score,
          userCount: trend.count,
          userFlagged: trend.flagged,
          ...(opinion === undefined ? {} : { modelOpinion: opinion }),
        },
        ...(effectId === undefined ? {} : { effectId }),
      });
    },
  },
});

export default agent;
