/**
 * The comparison workload as an Ambit agent: per key, fold each event into the stored state
 * and send the new state to the agent's declared output (`<ns>.ambit-folds`), as the Kafka
 * Streams peer writes it to `<ns>.folds`. Run by the agent host
 * (`--module bench/agents/fold.ts --agent foldAgent`); prints one JSON line
 * `{"event":"first","at":<ms>}` when it handles its first event, as the Kafka Streams peers do.
 */
import { defineAgent, input, jsonStore, output } from '@ambit/agent-api';
import { EVENT_SCHEMA, FOLD_INIT, FOLD_OUT_SCHEMA, foldEvent, type BenchEvent, type FoldOut, type FoldState } from '../workload.ts';

let first = false;

export const foldAgent = defineAgent({
  // Each benchmark run names its agent (its own group, changelog and transactional id).
  name: process.env.BENCH_AGENT_NAME ?? 'fold',
  version: '1',
  inputs: { events: input<BenchEvent>('events', EVENT_SCHEMA) },
  outputs: { folds: output<FoldOut>('ambit-folds', FOLD_OUT_SCHEMA) },
  stores: { fold: jsonStore<FoldState>() },
  handlers: {
    events: async (ctx, e) => {
      if (!first) {
        first = true;
        process.stdout.write(`${JSON.stringify({ event: 'first', at: Date.now() })}\n`);
      }
      const next = foldEvent((await ctx.stores.fold.get(ctx.key)) ?? FOLD_INIT, e);
      ctx.stores.fold.put(ctx.key, next);
      ctx.send('folds', ctx.key, { seq: e.seq, ...next });
    },
  },
});
