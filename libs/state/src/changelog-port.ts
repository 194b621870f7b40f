/**
 * The change-logging port: how state hands each change to the runtime, which produces it
 * to `<ns>.<agent>.<store>.changelog` inside the task's Kafka transaction (principle 6,
 * docs/principles.md; anchor: Kafka Streams' ChangeLoggingKeyValueBytesStore). State never
 * imports Kafka.
 */
export interface ChangelogPort {
  /**
   * Called once per final key change when a record scope commits, in the order of each
   * key's last write; `value` null is a tombstone. May be called while a commit is under
   * way (records keep completing): the runtime holds those for the next transaction, and
   * drops them when it aborts, as state drops the open layer. A throw leaves the record
   * discarded and the transaction unusable: the runtime must abort it.
   */
  append(store: string, key: string, value: Buffer | null): void;
}
