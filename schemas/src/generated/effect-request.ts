// generated — do not edit. Source: schemas/avro/EffectRequest.avsc. Regenerate with `pnpm codegen`.

import type { Origin } from './shared.ts';

/** An agent asks the gateway to act on the world. Topic effects.requested, key = tenant. The gateway classifies, authorizes, masks, reserves budget, maybe escalates, then releases an ActionReleased. */
export interface EffectRequest {
  /** Effect id, `<tenant>:<id>`; the id is a hash of agent, cause and emit index, so replays produce the same ids. Also the idempotency key downstream. */
  effectId: string;
  /** Owning tenant id; the record key. */
  tenant: string;
  /** The agent task that requested the effect. */
  origin: Origin;
  /** Kind of effect, e.g. `email.send`; the policy action. */
  effectType: string;
  /** What the effect acts on, e.g. a recipient or endpoint; the policy resource. */
  target: string;
  /** Effect arguments as a JSON document; may hold personal data until the gateway masks it. */
  payload: string;
  /** Estimated cost in minor units of `currency` (e.g. cents), reserved against the budget. */
  estimatedCostMinor: number | null;
  /** ISO 4217 currency code of the cost fields. */
  currency: string | null;
  /** Agent's confidence in basis points (0..10000). */
  confidenceBp: number | null;
  /** Agent's rationale, shown to reviewers if the effect is escalated. */
  reason: string | null;
  /** Deterministic request time: the causing record's or timer's time (ctx.now()). Avro `timestamp-millis`: epoch milliseconds. */
  requestedAt: number;
}
