/**
 * Avro values in the Confluent wire format. The serde's schema is both the writer schema
 * (serialize) and the reader schema (deserialize): a record written with any schema the
 * registry knows is resolved into it, so old records stay readable by new code.
 */
import type avsc from 'avsc';
import { AmbitError } from '@ambit/core';
import { parseAvroSchema, type AvroType } from './avro.ts';
import type { Compatibility, SchemaRegistry } from './registry.ts';
import type { Serde } from './serde.ts';
import { frame, unframe } from './wire.ts';

export interface AvroSerdeOptions {
  readonly registry: SchemaRegistry;
  /** Registry subject, e.g. `valueSubject(topic)` (TopicNameStrategy, docs/adr/0005). */
  readonly subject: string;
  /** Parsed .avsc JSON: the schema values are written with and read into. */
  readonly schema: object;
  /**
   * Register the schema on first use (true), or only look up the id of a schema registered
   * beforehand by a deploy step or the start-up flag (false, the default: production).
   */
  readonly autoRegister?: boolean;
  /** The rule for a subject this serde creates (autoRegister only); default BACKWARD_TRANSITIVE. */
  readonly compatibility?: Compatibility;
}

/** The subject for a topic's values under TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/**
 * A `Serde<T>` for one subject. Serialize: SERDE_INVALID_VALUE (with the field paths) when
 * the value does not match the schema. Deserialize: SERDE_BAD_BYTES (not framed, or the body
 * does not decode), SERDE_UNKNOWN_SCHEMA, SERDE_INCOMPATIBLE_SCHEMA (the writer schema cannot
 * be resolved into this one), SERDE_REGISTRY_UNAVAILABLE (retry).
 */
export function avroSerde<T>(options: AvroSerdeOptions): Serde<T> {
  const { registry, subject } = options;
  const reader = parseAvroSchema(options.schema, `schema for ${subject}`);
  let ownId: Promise<number> | undefined;
  // Per writer id: undefined when the writer schema is the reader's (no resolution needed).
  const resolvers = new Map<number, Promise<avsc.Resolver | undefined>>();

  /** Known once the registry answered: the synchronous forms need no await. */
  let knownId: number | undefined;
  const known = new Map<number, avsc.Resolver | undefined>();
  const writerId = (): Promise<number> => {
    if (!ownId) {
      const p = options.autoRegister
        ? registry.register(subject, options.schema, options.compatibility ? { compatibility: options.compatibility } : {})
        : registry.lookup(subject, options.schema);
      ownId = p.then((r) => (knownId = r.id));
      ownId.catch(() => (ownId = undefined));
    }
    return ownId;
  };

  const resolverFor = (id: number): Promise<avsc.Resolver | undefined> => {
    let p = resolvers.get(id);
    if (!p) {
      p = registry.getSchema(id).then((writer) => {
        const r = resolve(reader, writer, id, subject);
        known.set(id, r);
        return r;
      });
      p.catch(() => resolvers.delete(id));
      resolvers.set(id, p);
    }
    return p;
  };

  return {
    async serialize(value) {
      const body = encode(reader, value, subject);
      return frame(await writerId(), body);
    },
    async deserialize(bytes) {
      const { schemaId, body } = unframe(bytes);
      return decode(reader, body, await resolverFor(schemaId), schemaId, subject, bytes.length) as T;
    },
    serializeSync(value) {
      if (knownId === undefined) return undefined;
      return frame(knownId, encode(reader, value, subject));
    },
    deserializeSync(bytes) {
      const { schemaId, body } = unframe(bytes);
      if (!known.has(schemaId)) return undefined;
      return { value: decode(reader, body, known.get(schemaId), schemaId, subject, bytes.length) as T };
    },
  };
}

function decode(
  reader: AvroType,
  body: Buffer,
  resolver: avsc.Resolver | undefined,
  schemaId: number,
  subject: string,
  length: number,
): unknown {
  try {
    return reader.fromBuffer(body, resolver);
  } catch (e) {
    throw new AmbitError('SERDE_BAD_BYTES', `Avro body does not decode with schema id ${schemaId}: ${(e as Error).message}`, {
      cause: e,
      details: { schemaId, subject, length },
    });
  }
}

function encode(type: AvroType, value: unknown, subject: string): Buffer {
  try {
    return type.toBuffer(value);
  } catch {
    // avsc's own message embeds the offending value; report paths only (no raw payloads).
    const paths: string[] = [];
    type.isValid(value, { errorHook: (path: string[]) => paths.push(path.length ? path.join('.') : '(root)') });
    const where = paths.length ? paths.join(', ') : '(unknown)';
    throw new AmbitError('SERDE_INVALID_VALUE', `value does not match the schema of ${subject} at ${where}`, {
      details: { subject, paths },
    });
  }
}

function resolve(reader: AvroType, writer: AvroType, id: number, subject: string): avsc.Resolver | undefined {
  // Equal canonical forms encode identically; skipping the resolver is also faster.
  if (reader.equals(writer)) return undefined;
  try {
    return reader.createResolver(writer);
  } catch (e) {
    throw new AmbitError(
      'SERDE_INCOMPATIBLE_SCHEMA',
      `writer schema id ${id} cannot be read as the schema of ${subject}: ${(e as Error).message}`,
      {
        cause: e,
        details: { schemaId: id, subject },
      },
    );
  }
}
