// generated — do not edit. Source: schemas/avro/InboxMessage.avsc. Regenerate with `pnpm codegen`.

import type { EffectStatus, ResolutionOutcome, Reviewer } from './shared.ts';

/** A message for a suspended or waiting agent key (docs/adr/0001: envelope with a union payload). Topic <agent>.inbox, key = entity key, written by the gateway to the task's partition taken from Origin.partition. */
export interface InboxMessage {
  /** Message id, `<tenant>:<id>`, deterministic (derived from what it answers). */
  messageId: string;
  /** Owning tenant id. */
  tenant: string;
  /** Addressed agent id. */
  agent: string;
  /** Addressed entity key; the record key. */
  entityKey: string;
  /** When the gateway sent the message. Avro `timestamp-millis`: epoch milliseconds. */
  sentAt: number;
  /** The message. New kinds are appended at the end of the union (never reordered or removed). */
  payload:
    | { 'dev.ambit.v1.EscalationResolution': EscalationResolution }
    | { 'dev.ambit.v1.EffectOutcome': EffectOutcome }
    | { 'dev.ambit.v1.SuspensionTimedOut': SuspensionTimedOut };
}

/** A reviewer resolved the agent's escalation: resume the key. */
export interface EscalationResolution {
  /** The resolved escalation. */
  escalationId: string;
  /** Approved, rejected or amended. */
  outcome: ResolutionOutcome;
  /** Who resolved it. */
  reviewer: Reviewer;
  /** Reviewer's comment. */
  comment: string | null;
  /** Amended effect arguments as JSON, when AMENDED. */
  amendedPayload: string | null;
}

/** An effect the agent requested was carried out, failed or was denied. */
export interface EffectOutcome {
  /** The effect, `<tenant>:<id>`. */
  effectId: string;
  /** Outcome. */
  status: EffectStatus;
  /** Id assigned by the target system. */
  externalId: string | null;
  /** Error or status detail; masked. */
  detail: string | null;
  /** Settled cost in minor units of `currency`. */
  actualCostMinor: number | null;
  /** ISO 4217 currency code of `actualCostMinor`. */
  currency: string | null;
}

/** No answer came before the suspension timeout: resume the key with a timeout. */
export interface SuspensionTimedOut {
  /** The escalation that expired, if the wait was on one. */
  escalationId: string | null;
  /** The suspension timer that fired. */
  timerId: string;
  /** The timer's due time. Avro `timestamp-millis`: epoch milliseconds. */
  dueAt: number;
}
