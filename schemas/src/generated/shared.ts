// generated — do not edit. Source: named types defined identically in several files of schemas/avro. Regenerate with `pnpm codegen`.

// Defined in: ActionReleased.avsc, Decision.avsc, EffectRequest.avsc, EscalationEvent.avsc
/** Which agent task caused a record, so anything it causes can be routed back to that task. */
export interface Origin {
  /** Agent id. */
  agent: string;
  /** Agent version that produced the record. */
  agentVersion: string;
  /** Key of the entity the agent was processing (its input record key). */
  entityKey: string;
  /** The task's partition: results and resolutions go to this partition of the agent's inbox. */
  partition: number;
  /** What caused the record, as in the `ambit-source` header (input topic/partition/offset, timer id and due time, or inbox coordinates). */
  cause: string;
}

// Defined in: EffectResult.avsc, InboxMessage.avsc
/** How an effect ended. DENIED is set by the gateway (policy, budget, reviewer), never by a sink. */
export type EffectStatus = 'SUCCEEDED' | 'FAILED' | 'DENIED';

// Defined in: EscalationCommand.avsc, EscalationEvent.avsc, InboxMessage.avsc
/** An authenticated human reviewer, as checked by the gateway. */
export interface Reviewer {
  /** Reviewer id, `<tenant>:<id>`. */
  id: string;
  /** Role the reviewer acted in (decides what they may unmask or override). */
  role: string;
  /** Reviewer's tenant; must equal the escalation's tenant. */
  tenant: string;
}

// Defined in: EscalationEvent.avsc, InboxMessage.avsc
/** How a reviewer resolved an escalation. */
export type ResolutionOutcome = 'APPROVED' | 'REJECTED' | 'AMENDED';
