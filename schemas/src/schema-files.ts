/**
 * The Avro schemas in `schemas/avro/`: one self-contained `.avsc` per record, named after
 * the record (`EffectRequest.avsc` holds `dev.ambit.v1.EffectRequest`). Source of truth
 * for record shapes; the registry only ever receives these files' contents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avsc from 'avsc';
import { AmbitError } from '@ambit/core';

/** `schemas/` (the package root), whatever the caller's working directory. */
export const SCHEMAS_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the `.avsc` files live. */
export const AVRO_DIR = join(SCHEMAS_ROOT, 'avro');

export interface LoadedSchema {
  /** Record name without namespace, e.g. `EffectRequest`; also the file's base name. */
  readonly name: string;
  /** Full Avro name, e.g. `dev.ambit.v1.EffectRequest`. */
  readonly fullName: string;
  /** Path relative to `schemas/`, e.g. `avro/EffectRequest.avsc`. */
  readonly file: string;
  /** The parsed `.avsc` JSON, deep-frozen: what is registered and what serdes are built from. */
  readonly schema: Readonly<Record<string, unknown>>;
}

const cache = new Map<string, LoadedSchema>();

/** Names of every schema in `dir` (default `schemas/avro`), sorted. */
export function listSchemas(dir: string = AVRO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.slice(0, -'.avsc'.length))
    .sort();
}

/**
 * Loads and validates `<dir>/<name>.avsc`: valid Avro (parsed with avsc), a record, named
 * after its file. CONFIG_INVALID otherwise. Cached per file.
 */
export function loadSchema(name: string, dir: string = AVRO_DIR): LoadedSchema {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new AmbitError('CONFIG_INVALID', `invalid schema name "${name}" (expected an Avro record name such as EffectRequest)`);
  }
  const path = join(dir, `${name}.avsc`);
  const hit = cache.get(path);
  if (hit) return hit;
  const file = `avro/${name}.avsc`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const known = safeList(dir);
    throw new AmbitError('CONFIG_INVALID', `no schema ${file}${known ? ` (known: ${known})` : ''}`, { cause: e });
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
    avsc.Type.forSchema(schema as avsc.Schema);
  } catch (e) {
    throw new AmbitError('CONFIG_INVALID', `${file} is not a valid Avro schema: ${(e as Error).message}`, { cause: e });
  }
  const s = schema as { type?: unknown; name?: unknown; namespace?: unknown };
  if (s.type !== 'record' || typeof s.name !== 'string') {
    throw new AmbitError('CONFIG_INVALID', `${file} must define a named record at top level`);
  }
  const fullName = s.name.includes('.') ? s.name : typeof s.namespace === 'string' ? `${s.namespace}.${s.name}` : s.name;
  if (fullName.split('.').pop() !== name) {
    throw new AmbitError('CONFIG_INVALID', `${file} defines ${fullName}; a schema file is named after its record`);
  }
  const loaded: LoadedSchema = Object.freeze({ name, fullName, file, schema: deepFreeze(schema as Record<string, unknown>) });
  cache.set(path, loaded);
  return loaded;
}

function safeList(dir: string): string {
  try {
    return listSchemas(dir).join(', ');
  } catch {
    return '';
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
