// generated — do not edit. Source: schemas/avro/ActionReleased.avsc. Regenerate with `pnpm codegen`.

import type { Origin } from './shared.ts';

/** An effect the gateway released for execution, already masked per policy. Topic actions, key = entity key. Sink connectors carry it out with effectId as the idempotency key. */
export interface ActionReleased {
  /** Effect id, `<tenant>:<id>`; the sink's idempotency key. */
  effectId: string;
  /** Owning tenant id. */
  tenant: string;
  /** The agent task that requested the effect. */
  origin: Origin;
  /** Kind of effect, e.g. `email.send`. */
  effectType: string;
  /** What the effect acts on, after masking. */
  target: string;
  /** Effect arguments as a JSON document, masked: only data classes the policy allows for this effect type and target are in clear. */
  payload: string;
  /** Data classes found in the request (e.g. `email`, `phone`). */
  dataClasses: string[];
  /** Version of the policy set that authorized the release. */
  policyVersion: string;
  /** Escalation id, `<tenant>:<id>`, when a reviewer approved the release. */
  escalationId: string | null;
  /** Id of the approving reviewer, when escalated. */
  approvedBy: string | null;
  /** Budget reserved for the effect, in minor units of `currency`. */
  reservedCostMinor: number | null;
  /** ISO 4217 currency code of `reservedCostMinor`. */
  currency: string | null;
  /** When the gateway released the action. Avro `timestamp-millis`: epoch milliseconds. */
  releasedAt: number;
}
