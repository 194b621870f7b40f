/**
 * An in-memory SchemaRegistry for unit tests and the in-memory agent driver. It is the
 * source of truth for its own ids and subjects only; compatibility is judged with avsc's
 * schema resolution, which agrees with the registry's checker for the cases Ambit relies
 * on (fields added or removed with defaults) but is not a full re-implementation of it.
 */
import { AmbitError } from '@ambit/core';
import { parseAvroSchema, type AvroType } from './avro.ts';
import { DEFAULT_COMPATIBILITY, type Compatibility, type SchemaRegistry, type SubjectVersion } from './registry.ts';

interface Subject {
  compatibility: Compatibility;
  /** Schema ids, oldest first; version n is index n - 1. */
  versions: number[];
}

const identity = (t: AvroType): string => JSON.stringify(t.schema({ exportAttrs: true }));

export interface InMemorySchemaRegistry extends SchemaRegistry {
  /** Simulates an outage: every call fails with SERDE_REGISTRY_UNAVAILABLE while set. */
  unavailable: boolean;
}

export function createInMemorySchemaRegistry(global: Compatibility = DEFAULT_COMPATIBILITY): InMemorySchemaRegistry {
  const types: AvroType[] = []; // id n at index n - 1
  const idByCanonical = new Map<string, number>();
  const subjects = new Map<string, Subject>();

  const up = (): void => {
    if (registry.unavailable) throw new AmbitError('SERDE_REGISTRY_UNAVAILABLE', 'in-memory schema registry is marked unavailable');
  };
  const typeOf = (id: number): AvroType => {
    const t = types[id - 1];
    if (!t) throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `schema id ${id} is not known to the registry`, { details: { schemaId: id } });
    return t;
  };
  const canReadAs = (reader: AvroType, writer: AvroType): boolean => {
    try {
      reader.createResolver(writer);
      return true;
    } catch {
      return false;
    }
  };
  const compatibleWith = (candidate: AvroType, existing: AvroType, level: Compatibility): boolean => {
    const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
    const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
    return (!backward || canReadAs(candidate, existing)) && (!forward || canReadAs(existing, candidate));
  };
  const toCheck = (s: Subject | undefined, version?: number | 'latest'): number[] => {
    if (!s || s.versions.length === 0) return [];
    if (version === 'latest') return s.versions.slice(-1);
    if (typeof version === 'number') {
      const id = s.versions[version - 1];
      if (id === undefined) throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `no version ${version}`);
      return [id];
    }
    if (s.compatibility === 'NONE') return [];
    return s.compatibility.endsWith('_TRANSITIVE') ? s.versions : s.versions.slice(-1);
  };
  const version = (subject: string, s: Subject, index: number): SubjectVersion => {
    const id = s.versions[index]!;
    return { subject, version: index + 1, id, type: typeOf(id) };
  };

  const registry: InMemorySchemaRegistry = {
    unavailable: false,

    async register(subject, schema, opts = {}) {
      up();
      const type = parseAvroSchema(schema, `schema for ${subject}`);
      let s = subjects.get(subject);
      if (!s) {
        s = { compatibility: opts.compatibility ?? DEFAULT_COMPATIBILITY, versions: [] };
        subjects.set(subject, s);
      }
      // Like a real registry: one id per distinct schema, shared by subjects. Defaults count
      // (they decide compatibility), so this is not avsc's parsing canonical form.
      const canonical = identity(type);
      const known = idByCanonical.get(canonical);
      if (known !== undefined && s.versions.includes(known)) return { id: known };
      const level = s.compatibility;
      for (const id of toCheck(s)) {
        if (!compatibleWith(type, typeOf(id), level)) {
          throw new AmbitError(
            'SERDE_INCOMPATIBLE_SCHEMA',
            `schema rejected for subject ${subject}: not ${level} compatible with schema id ${id}`,
            {
              details: { subject },
            },
          );
        }
      }
      let id = known;
      if (id === undefined) {
        types.push(type);
        id = types.length;
        idByCanonical.set(canonical, id);
      }
      s.versions.push(id);
      return { id };
    },

    async lookup(subject, schema) {
      up();
      const canonical = identity(parseAvroSchema(schema, `schema for ${subject}`));
      const s = subjects.get(subject);
      const id = idByCanonical.get(canonical);
      const index = s && id !== undefined ? s.versions.indexOf(id) : -1;
      if (!s || index < 0)
        throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `schema is not registered under subject ${subject}`, { details: { subject } });
      return version(subject, s, index);
    },

    async getSchema(id) {
      up();
      return typeOf(id);
    },

    async latest(subject) {
      up();
      const s = subjects.get(subject);
      if (!s || s.versions.length === 0)
        throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `subject ${subject} has no versions`, { details: { subject } });
      return version(subject, s, s.versions.length - 1);
    },

    async checkCompatible(subject, schema, v) {
      up();
      const type = parseAvroSchema(schema, `schema for ${subject}`);
      const s = subjects.get(subject);
      const level = s?.compatibility ?? global;
      return toCheck(s, v).every((id) => compatibleWith(type, typeOf(id), level));
    },

    async compatibility(subject) {
      up();
      return subjects.get(subject)?.compatibility ?? global;
    },
  };
  return registry;
}
