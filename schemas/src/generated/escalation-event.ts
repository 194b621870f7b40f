// generated — do not edit. Source: schemas/avro/EscalationEvent.avsc. Regenerate with `pnpm codegen`.

import type { Origin, ResolutionOutcome, Reviewer } from './shared.ts';

/** One change to an escalation (docs/adr/0001: envelope with a union payload). Topic escalations, key = tenant; also read as a global view by the gateway's HTTP API. */
export interface EscalationEvent {
  /** Escalation id, `<tenant>:<id>`, deterministic. */
  escalationId: string;
  /** Owning tenant id; the record key. */
  tenant: string;
  /** Version of the escalation after this change: 1 for Created, then +1 per event. */
  sequence: number;
  /** When the change happened. Avro `timestamp-millis`: epoch milliseconds. */
  occurredAt: number;
  /** The change. New kinds are appended at the end of the union (never reordered or removed). */
  payload:
    | { 'dev.ambit.v1.EscalationCreated': EscalationCreated }
    | { 'dev.ambit.v1.EscalationResolved': EscalationResolved }
    | { 'dev.ambit.v1.EscalationExpired': EscalationExpired }
    | { 'dev.ambit.v1.EscalationBreached': EscalationBreached }
    | { 'dev.ambit.v1.EscalationReassigned': EscalationReassigned };
}

/** An escalation was opened, by policy or by an agent; its key is suspended until it is resolved. */
export interface EscalationCreated {
  /** Whether a policy (require approval) or the agent itself opened it. */
  raisedBy: EscalationRaiser;
  /** The agent task waiting for the resolution. */
  origin: Origin;
  /** Why a human is needed; masked. */
  reason: string;
  /** Effect awaiting approval, when raised by policy. */
  effectId: string | null;
  /** Kind of that effect. */
  effectType: string | null;
  /** Target of that effect; masked. */
  target: string | null;
  /** Effect arguments as JSON; masked (reviewers may unmask by role). */
  payload: string | null;
  /** Reviewer id or queue it is assigned to. */
  assignee: string | null;
  /** Role a reviewer needs to resolve it. */
  requiredRole: string | null;
  /** When the SLA is breached if still open. Avro `timestamp-millis`: epoch milliseconds. */
  slaDueAt: number;
  /** When the agent's suspension times out, if it does. Avro `timestamp-millis`: epoch milliseconds. */
  expiresAt: number | null;
  /** Cost at stake, in minor units of `currency`. */
  costMinor: number | null;
  /** ISO 4217 currency code of `costMinor`. */
  currency: string | null;
  /** Agent's confidence in basis points (0..10000). */
  confidenceBp: number | null;
  /** Policy set version that required approval. */
  policyVersion: string | null;
  /** Data classes found in the effect. */
  dataClasses: string[];
}

/** Who opened an escalation. */
export type EscalationRaiser = 'POLICY' | 'AGENT';

/** A reviewer resolved the escalation. */
export interface EscalationResolved {
  /** Approved, rejected or amended. */
  outcome: ResolutionOutcome;
  /** Who resolved it. */
  reviewer: Reviewer;
  /** The EscalationCommand that caused this event. */
  commandId: string;
  /** Reviewer's comment. */
  comment: string | null;
  /** Amended effect arguments as JSON, when AMENDED. */
  amendedPayload: string | null;
  /** Reviewer authorised spending over budget (recorded, by role). */
  budgetOverride: boolean;
}

/** Nobody resolved the escalation before it expired; the agent receives a timeout. */
export interface EscalationExpired {
  /** What expired (suspension timeout, reservation TTL). */
  reason: string;
}

/** The SLA passed while still open; policy decided what happens next. */
export interface EscalationBreached {
  /** The SLA deadline that passed. Avro `timestamp-millis`: epoch milliseconds. */
  slaDueAt: number;
  /** Escalated further or denied automatically. */
  action: BreachAction;
  /** New assignee, when AUTO_ESCALATE. */
  escalatedTo: string | null;
}

/** What policy does on an SLA breach. */
export type BreachAction = 'AUTO_ESCALATE' | 'AUTO_DENY';

/** A reviewer handed the escalation to someone else. */
export interface EscalationReassigned {
  /** New reviewer id or queue. */
  assignee: string;
  /** Who reassigned it. */
  reviewer: Reviewer;
  /** The EscalationCommand that caused this event. */
  commandId: string;
  /** Reviewer's comment. */
  comment: string | null;
}
