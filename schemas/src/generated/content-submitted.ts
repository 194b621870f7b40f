// generated — do not edit. Source: schemas/avro/ContentSubmitted.avsc. Regenerate with `pnpm codegen`.

/** A piece of user content submitted for moderation: the input of the demo content-moderation agent. Topic content.submitted, key = userId (so one user's submissions are processed in order by one task). */
export interface ContentSubmitted {
  /** Owning tenant id. */
  tenant: string;
  /** Content id, `<tenant>:<id>`. */
  contentId: string;
  /** Author's user id, `<tenant>:<id>`; also the record key. */
  userId: string;
  /** The submitted text, untrusted and possibly personal data: never logged raw. */
  text: string;
  /** When the user submitted the content (event time). Avro `timestamp-millis`: epoch milliseconds. */
  submittedAt: number;
  /** BCP 47 language tag, when known. */
  locale: string | null;
}
