// generated — do not edit. Source: every .avsc in schemas/avro. Regenerate with `pnpm codegen`.

import type { ActionReleased } from './action-released.ts';
import type { ContentSubmitted } from './content-submitted.ts';
import type { Decision } from './decision.ts';
import type { EffectRequest } from './effect-request.ts';
import type { EffectResult } from './effect-result.ts';
import type { EscalationCommand } from './escalation-command.ts';
import type { EscalationEvent } from './escalation-event.ts';
import type { InboxMessage } from './inbox-message.ts';
import type { JournalEntry } from './journal-entry.ts';
import type { PolicySet } from './policy-set.ts';

export type { ActionReleased } from './action-released.ts';
export type { ContentSubmitted } from './content-submitted.ts';
export type { Decision, DecisionMaker, ModelUsage, Verdict } from './decision.ts';
export type { EffectRequest } from './effect-request.ts';
export type { EffectResult } from './effect-result.ts';
export type { AmendEscalation, EscalationCommand, ReassignEscalation, ResolveEscalation, ReviewDecision } from './escalation-command.ts';
export type { BreachAction, EscalationBreached, EscalationCreated, EscalationEvent, EscalationExpired, EscalationRaiser, EscalationReassigned, EscalationResolved } from './escalation-event.ts';
export type { EffectOutcome, EscalationResolution, InboxMessage, SuspensionTimedOut } from './inbox-message.ts';
export type { JournalEntry, StepStatus, StepUsage } from './journal-entry.ts';
export type { PolicyLanguage, PolicySet } from './policy-set.ts';
export type { EffectStatus, Origin, ResolutionOutcome, Reviewer } from './shared.ts';

/** Each schema name (its `.avsc` file name) -> the type of its values. */
export interface SchemaTypes {
  ActionReleased: ActionReleased;
  ContentSubmitted: ContentSubmitted;
  Decision: Decision;
  EffectRequest: EffectRequest;
  EffectResult: EffectResult;
  EscalationCommand: EscalationCommand;
  EscalationEvent: EscalationEvent;
  InboxMessage: InboxMessage;
  JournalEntry: JournalEntry;
  PolicySet: PolicySet;
}
