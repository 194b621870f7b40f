/**
 * SchemaRegistry over the Confluent REST API with plain `fetch` (docs/adr/0005): the
 * classification of failures is the point of this file. A transport failure, timeout,
 * 408/429 or 5xx is SERDE_REGISTRY_UNAVAILABLE (retry), so an outage can never be taken
 * for a poison record; 404 is SERDE_UNKNOWN_SCHEMA; 409 is SERDE_INCOMPATIBLE_SCHEMA.
 * No retries here: the caller (runtime, CLI) owns backoff and pausing.
 */
import { AmbitError } from '@ambit/core';
import { parseAvroSchema, schemaText, type AvroType } from './avro.ts';
import {
  DEFAULT_COMPATIBILITY,
  type Compatibility,
  type RegisteredSchema,
  type RegisterOptions,
  type SchemaRegistry,
  type SubjectVersion,
} from './registry.ts';

export interface SchemaRegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. `http://host:8081` or Apicurio's `.../apis/ccompat/v7`. */
  readonly url: string;
  /** Per-request timeout (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. `authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Creates a registry client; no request is made until a method is called. */
export function createSchemaRegistryClient(options: SchemaRegistryClientOptions): SchemaRegistry {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const headers = { accept: 'application/json', 'content-type': CONTENT_TYPE, ...(options.headers ?? {}) };
  // Promises, so concurrent callers share one request; a failed one is evicted so it can be retried.
  const byId = new Map<number, Promise<AvroType>>();
  const registered = new Map<string, Promise<RegisteredSchema>>();

  async function http(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Reply> {
    const what = `${method} ${path}`;
    let text: string;
    let status: number;
    try {
      const res = await fetch(base + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      throw new AmbitError('SERDE_REGISTRY_UNAVAILABLE', `schema registry unreachable (${what}): ${transportCause(e)}`, {
        cause: e,
        details: { url: base },
      });
    }
    const parsed = parseJson(text);
    if (status >= 500 || status === 408 || status === 429) {
      throw new AmbitError(
        'SERDE_REGISTRY_UNAVAILABLE',
        `schema registry failed (${what}): HTTP ${status} ${registryMessage(parsed, text)}`,
        {
          details: { url: base, status },
        },
      );
    }
    return { status, body: parsed };
  }

  function unexpected(r: Reply, what: string): AmbitError {
    return new AmbitError('CONFIG_INVALID', `schema registry refused ${what}: HTTP ${r.status} ${registryMessage(r.body, '')}`, {
      details: { url: base, status: r.status, errorCode: errorCode(r.body) },
    });
  }

  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(subject)}`;

  function toSubjectVersion(body: unknown, what: string): SubjectVersion {
    const b = body as { subject?: string; version?: number; id?: number; schema?: string; schemaType?: string };
    if (typeof b?.id !== 'number' || typeof b.schema !== 'string') throw unexpected({ status: 200, body }, what);
    assertAvro(b.schemaType, b.id);
    const type = parseRegistered(b.schema, b.id);
    if (!byId.has(b.id)) byId.set(b.id, Promise.resolve(type));
    return { subject: String(b.subject), version: Number(b.version), id: b.id, type };
  }

  async function subjectExists(subject: string): Promise<boolean> {
    const r = await http('GET', `${subjectPath(subject)}/versions`);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw unexpected(r, `listing versions of ${subject}`);
  }

  async function doRegister(subject: string, text: string, compatibility: Compatibility): Promise<RegisteredSchema> {
    // Set the rule before the first version, so no version of an Ambit subject is ever
    // registered without it (registries accept config for a subject that has no versions yet).
    if (!(await subjectExists(subject))) {
      const c = await http('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility });
      if (c.status !== 200) throw unexpected(c, `setting compatibility of ${subject}`);
    }
    const r = await http('POST', `${subjectPath(subject)}/versions`, { schema: text });
    if (r.status === 409) {
      throw new AmbitError('SERDE_INCOMPATIBLE_SCHEMA', `schema rejected for subject ${subject}: ${registryMessage(r.body, '')}`, {
        details: { subject },
      });
    }
    if (r.status === 422)
      throw new AmbitError('CONFIG_INVALID', `registry rejected the schema for ${subject}: ${registryMessage(r.body, '')}`);
    const id = (r.body as { id?: unknown } | null)?.id;
    if (r.status !== 200 || typeof id !== 'number') throw unexpected(r, `registering under ${subject}`);
    return { id };
  }

  return {
    register(subject, schema, opts: RegisterOptions = {}) {
      const type = parseAvroSchema(schema, `schema for ${subject}`);
      const text = schemaText(schema);
      const key = `${subject}\u0000${text}`;
      let p = registered.get(key);
      if (!p) {
        p = doRegister(subject, text, opts.compatibility ?? DEFAULT_COMPATIBILITY).then((res) => {
          if (!byId.has(res.id)) byId.set(res.id, Promise.resolve(type));
          return res;
        });
        p.catch(() => registered.delete(key));
        registered.set(key, p);
      }
      return p;
    },

    async lookup(subject, schema) {
      parseAvroSchema(schema, `schema for ${subject}`);
      const r = await http('POST', subjectPath(subject), { schema: schemaText(schema) });
      if (r.status === 404) {
        throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `schema is not registered under subject ${subject}: ${registryMessage(r.body, '')}`, {
          details: { subject, errorCode: errorCode(r.body) },
        });
      }
      if (r.status !== 200) throw unexpected(r, `looking up a schema under ${subject}`);
      return toSubjectVersion(r.body, `looking up a schema under ${subject}`);
    },

    getSchema(id) {
      let p = byId.get(id);
      if (!p) {
        p = (async () => {
          const r = await http('GET', `/schemas/ids/${id}`);
          if (r.status === 404) {
            throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `schema id ${id} is not known to the registry`, { details: { schemaId: id } });
          }
          const b = r.body as { schema?: unknown; schemaType?: string } | null;
          if (r.status !== 200 || typeof b?.schema !== 'string') throw unexpected(r, `fetching schema id ${id}`);
          assertAvro(b.schemaType, id);
          return parseRegistered(b.schema, id);
        })();
        p.catch(() => byId.delete(id));
        byId.set(id, p);
      }
      return p;
    },

    async latest(subject) {
      const r = await http('GET', `${subjectPath(subject)}/versions/latest`);
      if (r.status === 404) throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `subject ${subject} has no versions`, { details: { subject } });
      if (r.status !== 200) throw unexpected(r, `reading the latest version of ${subject}`);
      return toSubjectVersion(r.body, `reading the latest version of ${subject}`);
    },

    async checkCompatible(subject, schema, version) {
      parseAvroSchema(schema, `schema for ${subject}`);
      const path = `/compatibility${subjectPath(subject)}/versions${version === undefined ? '' : `/${version}`}`;
      const r = await http('POST', path, { schema: schemaText(schema) });
      // A subject with no versions accepts anything; a named version that is missing is an error.
      if (r.status === 404 && errorCode(r.body) === 40401) return true;
      if (r.status === 404) throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `subject ${subject} has no version ${String(version)}`);
      const ok = (r.body as { is_compatible?: unknown } | null)?.is_compatible;
      if (r.status !== 200 || typeof ok !== 'boolean') throw unexpected(r, `checking compatibility under ${subject}`);
      return ok;
    },

    async compatibility(subject) {
      const r = await http('GET', `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`);
      // Registries without defaultToGlobal answer 404 when the subject has no rule of its own.
      const res = r.status === 404 ? await http('GET', '/config') : r;
      const level = (res.body as { compatibilityLevel?: unknown; compatibility?: unknown } | null) ?? {};
      const value = level.compatibilityLevel ?? level.compatibility;
      if (res.status !== 200 || typeof value !== 'string') throw unexpected(res, `reading the compatibility of ${subject}`);
      return value.toUpperCase() as Compatibility;
    },
  };
}

function parseRegistered(text: string, id: number): AvroType {
  try {
    return parseAvroSchema(text, `schema id ${id}`);
  } catch (e) {
    // Not parseable here (e.g. uses schema references, which Ambit does not): no record with it is readable.
    throw new AmbitError('SERDE_UNKNOWN_SCHEMA', (e as Error).message, { cause: e, details: { schemaId: id } });
  }
}

function assertAvro(schemaType: string | undefined, id: number): void {
  if (schemaType !== undefined && schemaType.toUpperCase() !== 'AVRO') {
    throw new AmbitError('SERDE_UNKNOWN_SCHEMA', `schema id ${id} is ${schemaType}, not Avro`, { details: { schemaId: id } });
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function registryMessage(body: unknown, fallback: string): string {
  const m = (body as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : fallback.slice(0, 200);
}

function errorCode(body: unknown): number | undefined {
  const c = (body as { error_code?: unknown } | null)?.error_code;
  return typeof c === 'number' ? c : undefined;
}

/** undici wraps socket errors as `TypeError: fetch failed` with the real one in `cause`. */
function transportCause(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'request timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
