// generated — do not edit. Source: schemas/avro/EscalationCommand.avsc. Regenerate with `pnpm codegen`.

import type { Reviewer } from './shared.ts';

/** A reviewer's command on an escalation, from the gateway HTTP API (docs/adr/0001: envelope with a union payload). Topic escalations.commands, key = tenant. */
export interface EscalationCommand {
  /** Command id, `<tenant>:<id>`, derived from the HTTP Idempotency-Key when given, so retries are deduplicated. */
  commandId: string;
  /** Escalation the command applies to, `<tenant>:<id>`. */
  escalationId: string;
  /** Owning tenant id; the record key. */
  tenant: string;
  /** The authenticated reviewer issuing the command. */
  issuedBy: Reviewer;
  /** When the gateway accepted the HTTP request. Avro `timestamp-millis`: epoch milliseconds. */
  issuedAt: number;
  /** The command. New kinds are appended at the end of the union (never reordered or removed). */
  payload:
    | { 'dev.ambit.v1.ResolveEscalation': ResolveEscalation }
    | { 'dev.ambit.v1.AmendEscalation': AmendEscalation }
    | { 'dev.ambit.v1.ReassignEscalation': ReassignEscalation };
}

/** Approve or reject. */
export interface ResolveEscalation {
  /** Approve or reject the escalated effect. */
  decision: ReviewDecision;
  /** Reviewer's comment. */
  comment: string | null;
  /** Approve even if over budget (needs a role that may override). */
  budgetOverride: boolean;
}

/** A reviewer's decision. */
export type ReviewDecision = 'APPROVE' | 'REJECT';

/** Change the effect and re-run the whole gateway pipeline on it. */
export interface AmendEscalation {
  /** Amended effect arguments as JSON. */
  payload: string;
  /** Amended target, if it changes. */
  target: string | null;
  /** Reviewer's comment. */
  comment: string | null;
}

/** Hand the escalation to another reviewer or queue. */
export interface ReassignEscalation {
  /** New reviewer id or queue. */
  assignee: string;
  /** Reviewer's comment. */
  comment: string | null;
}
