/**
 * The schema registry contract Ambit code depends on (Confluent REST semantics).
 * `registry-client.ts` implements it over HTTP, `registry-memory.ts` in memory.
 */
import type { AvroType } from './avro.ts';

/** A subject's compatibility rule, as the Confluent API names it. */
export type Compatibility = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE';

/** Transitive, so every old record of a topic stays readable by the newest code (replay). */
export const DEFAULT_COMPATIBILITY: Compatibility = 'BACKWARD_TRANSITIVE';

export interface RegisterOptions {
  /**
   * The rule set on the subject when this registration creates it (default
   * BACKWARD_TRANSITIVE). A subject that already exists keeps its rule: operators own it
   * (e.g. relaxed for a deliberate migration), and the registry enforces whatever is set.
   */
  readonly compatibility?: Compatibility;
}

export interface RegisteredSchema {
  /** The registry's id for the schema; what the wire header carries. */
  readonly id: number;
}

export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string;
  readonly version: number;
  readonly type: AvroType;
}

/**
 * A Confluent-compatible schema registry. Every method fails with an `AmbitError`:
 * SERDE_REGISTRY_UNAVAILABLE (unreachable, timed out, 5xx: retry later; never a verdict on
 * a record), SERDE_UNKNOWN_SCHEMA (id or subject not found), SERDE_INCOMPATIBLE_SCHEMA
 * (rejected by the subject's rule), CONFIG_INVALID (not Avro, or the registry refused the
 * request, e.g. 401/403).
 */
export interface SchemaRegistry {
  /** Registers `schema` (parsed .avsc JSON) under `subject`; idempotent for a schema already there. */
  register(subject: string, schema: object, opts?: RegisterOptions): Promise<RegisteredSchema>;
  /** The id of a schema already registered under `subject`, without registering it. */
  lookup(subject: string, schema: object): Promise<SubjectVersion>;
  /** The writer schema for a wire-header id; cached by id (ids are immutable). */
  getSchema(id: number): Promise<AvroType>;
  /** The subject's newest version. */
  latest(subject: string): Promise<SubjectVersion>;
  /**
   * Would `schema` be accepted? Against the versions the subject's rule names when
   * `version` is omitted, else against that one version.
   */
  checkCompatible(subject: string, schema: object, version?: number | 'latest'): Promise<boolean>;
  /** The rule in force for the subject (its own, else the global one). */
  compatibility(subject: string): Promise<Compatibility>;
}
