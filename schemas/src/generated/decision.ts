// generated — do not edit. Source: schemas/avro/Decision.avsc. Regenerate with `pnpm codegen`.

import type { Origin } from './shared.ts';

/** Provenance of one decision, by an agent or by a gateway stage, for audit and replay diffs. Topic decisions, key = entity key. */
export interface Decision {
  /** Decision id, `<tenant>:<id>`, deterministic (hash of cause and decision index). */
  decisionId: string;
  /** Owning tenant id. */
  tenant: string;
  /** Whether the agent runtime or the gateway recorded the decision. */
  madeBy: DecisionMaker;
  /** What was decided, e.g. `moderation.verdict` (agent) or `policy.authorize` (gateway). */
  kind: string;
  /** The agent task the decision is about, when there is one. */
  origin: Origin | null;
  /** Effect id the decision concerns, if any. */
  effectId: string | null;
  /** Gateway lifecycle stage (classify, authorize, mask, reserve, escalate, release, settle), for gateway decisions. */
  stage: string | null;
  /** Policy verdict, for authorization decisions. */
  verdict: Verdict | null;
  /** Agent-specific outcome label, e.g. `approve`, `remove`. */
  outcome: string | null;
  /** Policy set applied, `<tenant>:<id>`. */
  policySetId: string | null;
  /** Version of that policy set. */
  policyVersion: string | null;
  /** Ids of the policies that determined the verdict. */
  determiningPolicies: string[];
  /** Data classes found in the request. */
  dataClasses: string[];
  /** Confidence in basis points (0..10000). */
  confidenceBp: number | null;
  /** Cost considered, in minor units of `currency`. */
  costMinor: number | null;
  /** ISO 4217 currency code of `costMinor`. */
  currency: string | null;
  /** Human-readable reason; masked. */
  reason: string | null;
  /** Further facts as a JSON document; masked. */
  detail: string | null;
  /** Deterministic decision time (record or timer time). Avro `timestamp-millis`: epoch milliseconds. */
  decidedAt: number;
  /** Summed over the record's steps that reported usage; null when none did. */
  usage: ModelUsage | null;
}

/** Who made a decision. */
export type DecisionMaker = 'AGENT' | 'GATEWAY';

/** A policy verdict. */
export type Verdict = 'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';

/** Model usage of the durable steps behind a decision. */
export interface ModelUsage {
  /** Model input tokens. */
  inputTokens: number;
  /** Model output tokens. */
  outputTokens: number;
  /** Steps that reported usage (journaled results included). */
  steps: number;
}
