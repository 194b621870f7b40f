// generated — do not edit. Source: schemas/avro/JournalEntry.avsc. Regenerate with `pnpm codegen`.

/** The recorded result of one durable step (a model or tool call), so it is not paid for again and replay can serve it. Topic <agent>.journal, key = stepId, written to the task's partition. Internal data like changelogs: holds raw prompts and completions. */
export interface JournalEntry {
  /** Step identity: cause, handler, step name and occurrence, joined as the runtime defines; the record key. */
  stepId: string;
  /** Agent id. */
  agent: string;
  /** Agent version that ran the step; replay of another version compares against it. */
  agentVersion: string;
  /** What caused the handler run (the `ambit-source` value). */
  cause: string;
  /** Key of the entity being processed. */
  entityKey: string;
  /** The task's partition (the journal partition the entry is written to). */
  partition: number;
  /** Handler that ran the step. */
  handler: string;
  /** Name given to step(name, fn); a different name at the same position is a non-determinism error. */
  stepName: string;
  /** Position of the step among the handler run's steps (0-based). */
  occurrence: number;
  /** Hex SHA-256 of the step's canonical input; replay of a new version detects changed inputs with it. */
  inputHash: string;
  /** Whether the step returned or threw (a thrown error is journaled too, so it is re-thrown identically). */
  status: StepStatus;
  /** Serialized result, in `contentType` encoding; size-capped by the runtime. */
  result: Buffer | null;
  /** Encoding of `result`. */
  contentType: string;
  /** Error code, when FAILED. */
  errorCode: string | null;
  /** Error message, when FAILED. */
  errorMessage: string | null;
  /** Resource usage (tokens, cost), for model calls. */
  usage: StepUsage | null;
  /** Wall-clock start of the step (informational; not used for determinism). Avro `timestamp-millis`: epoch milliseconds. */
  startedAt: number;
  /** Wall-clock end of the step. Avro `timestamp-millis`: epoch milliseconds. */
  completedAt: number;
}

/** How a step ended. */
export type StepStatus = 'COMPLETED' | 'FAILED';

/** What a step consumed, booked into the budget ledgers. */
export interface StepUsage {
  /** Model input tokens. */
  inputTokens: number;
  /** Model output tokens. */
  outputTokens: number;
  /** Cost in minor units of `currency`. */
  costMinor: number | null;
  /** ISO 4217 currency code of `costMinor`. */
  currency: string | null;
}
