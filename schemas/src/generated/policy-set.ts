// generated — do not edit. Source: schemas/avro/PolicySet.avsc. Regenerate with `pnpm codegen`.

/** A version of a tenant's policy set. Topic policies (compacted), key = policySetId; a null value (tombstone) retires the set. The gateway applies a new version at a deterministic point in its stream and records the version on every decision. */
export interface PolicySet {
  /** Policy set id, `<tenant>:<id>`; the record key. */
  policySetId: string;
  /** Owning tenant id. */
  tenant: string;
  /** Version label, unique within the set (e.g. a content hash or a release tag). */
  version: string;
  /** Language of `policies`. */
  language: PolicyLanguage;
  /** Policy source text (Cedar). */
  policies: string;
  /** Cedar schema (JSON) that requests and policies are validated against; any validation error means deny. */
  schema: string | null;
  /** What changed in this version. */
  description: string | null;
  /** Operator or CI identity that published the version. */
  publishedBy: string;
  /** When the version was published. Avro `timestamp-millis`: epoch milliseconds. */
  publishedAt: number;
}

/** Policy language of a set. */
export type PolicyLanguage = 'CEDAR';
