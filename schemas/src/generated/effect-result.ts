// generated — do not edit. Source: schemas/avro/EffectResult.avsc. Regenerate with `pnpm codegen`.

import type { EffectStatus } from './shared.ts';

/** Outcome of a released effect, reported by the sink connector that carried it out. Topic effects.results, key = tenant. The gateway settles the budget, then routes it to the agent inbox. */
export interface EffectResult {
  /** Effect id, `<tenant>:<id>`, of the ActionReleased carried out. */
  effectId: string;
  /** Owning tenant id; the record key. */
  tenant: string;
  /** Outcome. */
  status: EffectStatus;
  /** Name of the sink connector that reported the result. */
  connector: string;
  /** Id assigned by the target system (e.g. message id). */
  externalId: string | null;
  /** Error or status detail; masked, never raw personal data. */
  detail: string | null;
  /** Actual cost in minor units of `currency`, settled against the reservation. */
  actualCostMinor: number | null;
  /** ISO 4217 currency code of `actualCostMinor`. */
  currency: string | null;
  /** When the sink finished the effect. Avro `timestamp-millis`: epoch milliseconds. */
  completedAt: number;
}
