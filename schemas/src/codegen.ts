/**
 * Avro -> TypeScript type generation (build tooling: not exported from the package index).
 *
 * The types describe values exactly as `@ambit/serde` decodes them, i.e. avsc with its
 * defaults (libs/serde `AVRO_TYPE_OPTIONS`): no logical types (timestamps are epoch-millis
 * numbers), `long` as number, bytes/fixed as Buffer, maps as plain objects, and unions
 * unwrapped when their branches are distinguishable in JS (`["null","string"]` ->
 * `string | null`) but wrapped otherwise (a union of records -> `{ 'dev.ambit.v1.X': X } | ...`).
 * Fields are always present, as decoded; defaults only matter for schema evolution.
 *
 * Output: one module per `.avsc` (`EffectRequest.avsc` -> `effect-request.ts`), `shared.ts`
 * for named types several files define (they must define them identically) and `index.ts`.
 * Deterministic: same input, byte-identical output.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AvroSource {
  /** File name, e.g. `EffectRequest.avsc`. */
  readonly file: string;
  readonly schema: unknown;
}

export interface GeneratedFile {
  /** File name inside the output directory, e.g. `effect-request.ts`. */
  readonly path: string;
  readonly content: string;
}

export type DriftKind = 'changed' | 'missing' | 'stale';

export interface Drift {
  readonly path: string;
  readonly kind: DriftKind;
}

const SHARED = 'shared.ts';

/** Reads every `.avsc` in `dir`, sorted by name. */
export function readAvroDir(dir: string): AvroSource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((file) => {
      try {
        return { file, schema: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown };
      } catch (e) {
        throw new Error(`${file}: invalid JSON: ${(e as Error).message}`);
      }
    });
}

/** Generates the TypeScript modules for `sources`; throws naming the file on a schema it cannot map. */
export function generateTypes(sources: readonly AvroSource[], sourceDir = 'schemas/avro'): GeneratedFile[] {
  const compiled = [...sources].sort((a, b) => cmp(a.file, b.file)).map(compileFile);

  // A named type defined in several files goes to shared.ts, once; the definitions must agree.
  const firstDef = new Map<string, { file: string; decl: NamedDecl }>();
  const filesOf = new Map<string, Set<string>>();
  const byTsName = new Map<string, string>();
  for (const c of compiled) {
    for (const d of c.decls) {
      const seen = firstDef.get(d.fullName);
      if (seen && seen.decl.normalized !== d.normalized) {
        throw new Error(`${d.fullName} is defined differently in ${seen.file} and ${c.file}; shared named types must be identical`);
      }
      if (!seen) firstDef.set(d.fullName, { file: c.file, decl: d });
      const other = byTsName.get(d.tsName);
      if (other !== undefined && other !== d.fullName) {
        throw new Error(`${c.file}: ${d.fullName} and ${other} would both be exported as ${d.tsName}`);
      }
      byTsName.set(d.tsName, d.fullName);
      filesOf.set(d.fullName, (filesOf.get(d.fullName) ?? new Set()).add(c.file));
    }
  }
  const isShared = (fullName: string): boolean => (filesOf.get(fullName)?.size ?? 0) > 1;

  const out: GeneratedFile[] = [];
  const index: { module: string; names: string[] }[] = [];
  const sharedDecls = [...firstDef.values()].map((v) => v.decl).filter((d) => isShared(d.fullName));
  if (sharedDecls.length > 0) {
    const users = (d: NamedDecl): string => [...filesOf.get(d.fullName)!].sort(cmp).join(', ');
    out.push({
      path: SHARED,
      content:
        header(`named types defined identically in several files of ${sourceDir}`) +
        sharedDecls.map((d) => `// Defined in: ${users(d)}\n${d.decl}`).join('\n'),
    });
    index.push({ module: SHARED, names: sharedDecls.map((d) => d.tsName) });
  }
  for (const c of compiled) {
    const own = c.decls.filter((d) => !isShared(d.fullName));
    const imports = [...new Set(own.flatMap((d) => [...d.refs]))].filter(isShared).map(tsNameOf);
    let content = header(`${sourceDir}/${c.file}`);
    if (imports.length > 0) content += `import type { ${[...new Set(imports)].sort(cmp).join(', ')} } from './${SHARED}';\n\n`;
    content += own.map((d) => d.decl).join('\n');
    out.push({ path: c.module, content });
    index.push({ module: c.module, names: own.map((d) => d.tsName) });
  }

  const tops = compiled.map((c) => ({ key: c.file.slice(0, -'.avsc'.length), type: c.top, module: c.module }));
  let idx = header(`every .avsc in ${sourceDir}`);
  for (const t of tops) idx += `import type { ${t.type} } from './${t.module}';\n`;
  idx += '\n';
  for (const e of index.sort((a, b) => cmp(a.module, b.module))) {
    idx += `export type { ${[...e.names].sort(cmp).join(', ')} } from './${e.module}';\n`;
  }
  idx += '\n/** Each schema name (its `.avsc` file name) -> the type of its values. */\nexport interface SchemaTypes {\n';
  for (const t of tops) idx += `  ${t.key}: ${t.type};\n`;
  idx += '}\n';
  out.push({ path: 'index.ts', content: idx });
  return out.sort((a, b) => cmp(a.path, b.path));
}

/** Compares `files` with `outDir`: files that differ, are missing, or are left over. */
export function checkGenerated(outDir: string, files: readonly GeneratedFile[]): Drift[] {
  const drift: Drift[] = [];
  const expected = new Set(files.map((f) => f.path));
  for (const f of files) {
    const p = join(outDir, f.path);
    if (!existsSync(p)) drift.push({ path: f.path, kind: 'missing' });
    else if (readFileSync(p, 'utf8') !== f.content) drift.push({ path: f.path, kind: 'changed' });
  }
  for (const name of existsSync(outDir) ? readdirSync(outDir).sort() : []) {
    if (name.endsWith('.ts') && !expected.has(name)) drift.push({ path: name, kind: 'stale' });
  }
  return drift;
}

/** Writes `files` to `outDir` and removes generated modules no longer produced. Returns what changed. */
export function writeGenerated(outDir: string, files: readonly GeneratedFile[]): Drift[] {
  const drift = checkGenerated(outDir, files);
  mkdirSync(outDir, { recursive: true });
  for (const d of drift) {
    if (d.kind === 'stale') rmSync(join(outDir, d.path));
    else writeFileSync(join(outDir, d.path), files.find((f) => f.path === d.path)!.content);
  }
  return drift;
}

/** `EffectRequest.avsc` -> `effect-request.ts`. */
export function moduleName(file: string): string {
  const base = file.replace(/\.avsc$/, '');
  return `${base
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()}.ts`;
}

// ---------------------------------------------------------------------------------------

interface NamedDecl {
  readonly fullName: string;
  readonly tsName: string;
  /** The definition with names fully qualified and nested named types reduced to references. */
  normalized: string;
  decl: string;
  /** Full names of the named types this declaration mentions. */
  readonly refs: Set<string>;
}

interface CompiledFile {
  readonly file: string;
  readonly module: string;
  readonly top: string;
  readonly decls: NamedDecl[];
}

const PRIMITIVE_TS: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

/** avsc's grouping for deciding whether a union can be unwrapped (lib/types.js getTypeBucket). */
const BUCKET: Record<string, string> = {
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'buffer',
  fixed: 'buffer',
  enum: 'string',
  string: 'string',
  record: 'object',
  error: 'object',
  map: 'object',
};

interface Resolved {
  /** Avro type name: a primitive, `record`, `enum`, `fixed`, `array`, `map`. */
  readonly kind: string;
  /** How avsc keys this branch in a wrapped union. */
  readonly branch: string;
  readonly ts: string;
  /** Normalized JSON of the type, for comparing definitions across files. */
  readonly norm: unknown;
  /** Branches of a wrapped union, printed one per line. */
  readonly wrappedBranches?: readonly string[];
}

function compileFile(src: AvroSource): CompiledFile {
  const decls = new Map<string, NamedDecl>();
  const fail = (msg: string): never => {
    throw new Error(`${src.file}: ${msg}`);
  };
  const module = moduleName(src.file);
  if (module === SHARED || module === 'index.ts') fail(`the file name maps to the reserved module ${module}`);

  // The declaration whose references are being collected (for shared.ts imports).
  const stack: NamedDecl[] = [];

  const fullNameOf = (name: string, ns: string | undefined): string => (name.includes('.') || !ns ? name : `${ns}.${name}`);

  const reference = (fullName: string): Resolved => {
    const d = decls.get(fullName)!;
    stack.at(-1)?.refs.add(fullName);
    const kind = d.normalized.startsWith('{"type":"enum"') ? 'enum' : d.normalized.startsWith('{"type":"fixed"') ? 'fixed' : 'record';
    return { kind, branch: fullName, ts: d.tsName, norm: fullName };
  };

  function resolve(schema: unknown, ns: string | undefined, at: string): Resolved {
    if (typeof schema === 'string') {
      const ts = PRIMITIVE_TS[schema];
      if (ts !== undefined) return { kind: schema, branch: schema, ts, norm: schema };
      const full = [fullNameOf(schema, ns), schema].find((n) => decls.has(n));
      if (!full) return fail(`${at}: unknown type name "${schema}" (a schema file must be self-contained)`);
      return reference(full);
    }
    if (Array.isArray(schema)) return union(schema, ns, at);
    if (schema === null || typeof schema !== 'object') return fail(`${at}: invalid type ${JSON.stringify(schema)}`);
    const s = schema as Record<string, unknown>;
    const type = s.type;
    if (typeof type !== 'string') return resolve(type, ns, at);
    const logical = typeof s.logicalType === 'string' ? s.logicalType : undefined;
    switch (type) {
      case 'array': {
        const items = resolve(s.items, ns, `${at}[]`);
        return { kind: 'array', branch: 'array', ts: `${paren(items.ts)}[]`, norm: { type, items: items.norm } };
      }
      case 'map': {
        const values = resolve(s.values, ns, `${at}{}`);
        return { kind: 'map', branch: 'map', ts: `Record<string, ${values.ts}>`, norm: { type, values: values.norm } };
      }
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return named(s, type, ns, at);
      default: {
        const ts = PRIMITIVE_TS[type];
        if (ts === undefined) {
          const full = [fullNameOf(type, ns), type].find((n) => decls.has(n));
          if (full) return reference(full);
          return fail(`${at}: unknown type "${type}"`);
        }
        // Logical types stay their underlying type: serde registers no logical-type handlers.
        return { kind: type, branch: type, ts, norm: logical ? { type, logicalType: logical } : type };
      }
    }
  }

  function union(branches: unknown[], ns: string | undefined, at: string): Resolved {
    const rs = branches.map((b, i) => resolve(b, ns, `${at}|${i}`));
    const buckets = rs.map((r) => BUCKET[r.kind] ?? r.kind);
    const wrapped = new Set(buckets).size !== buckets.length;
    const parts = rs.map((r) => (r.kind === 'null' ? 'null' : wrapped ? `{ '${r.branch}': ${r.ts} }` : r.ts));
    // null last reads naturally (`string | null`) and is what people write by hand.
    const ordered = [...parts.filter((p) => p !== 'null'), ...parts.filter((p) => p === 'null')];
    return {
      kind: 'union',
      branch: 'union',
      ts: ordered.join(' | '),
      norm: rs.map((r) => r.norm),
      ...(wrapped ? { wrappedBranches: ordered } : {}),
    };
  }

  function named(s: Record<string, unknown>, type: string, ns: string | undefined, at: string): Resolved {
    if (typeof s.name !== 'string') return fail(`${at}: a ${type} needs a name`);
    const own = typeof s.namespace === 'string' ? s.namespace : ns;
    const fullName = fullNameOf(s.name, own);
    if (decls.has(fullName)) fail(`${at}: ${fullName} is defined twice; refer to it by name after its first definition`);
    const innerNs = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    const tsName = tsNameOf(fullName);
    const d: NamedDecl = { fullName, tsName, normalized: '', decl: '', refs: new Set() };
    // Registered before its fields are walked, so recursive references resolve.
    decls.set(fullName, d);
    stack.push(d);
    const doc = typeof s.doc === 'string' ? s.doc : undefined;
    if (type === 'enum') {
      const symbols = s.symbols;
      if (!Array.isArray(symbols) || symbols.some((x) => typeof x !== 'string')) fail(`${fullName}: symbols must be a list of strings`);
      const syms = symbols as string[];
      d.normalized = JSON.stringify({ type, name: fullName, doc, symbols: syms, default: s.default });
      d.decl = `${jsdoc(doc, '')}export type ${tsName} = ${syms.map((x) => `'${x}'`).join(' | ')};\n`;
    } else if (type === 'fixed') {
      d.normalized = JSON.stringify({ type, name: fullName, doc, size: s.size });
      d.decl = `${jsdoc(doc, '')}export type ${tsName} = Buffer;\n`;
    } else {
      if (!Array.isArray(s.fields)) fail(`${fullName}: fields must be a list`);
      const norm: unknown[] = [];
      let body = '';
      for (const f of s.fields as Record<string, unknown>[]) {
        if (typeof f?.name !== 'string') fail(`${fullName}: every field needs a name`);
        const r = resolve(f.type, innerNs, `${fullName}.${f.name}`);
        const fdoc = typeof f.doc === 'string' ? f.doc : undefined;
        norm.push({ name: f.name, type: r.norm, doc: fdoc, default: f.default });
        const ts = r.wrappedBranches ? r.wrappedBranches.map((b) => `\n    | ${b}`).join('') : ` ${r.ts}`;
        body += `${jsdoc(fdoc, '  ', logicalNote(f.type))}  ${f.name}:${ts};\n`;
      }
      d.normalized = JSON.stringify({ type: 'record', name: fullName, doc, fields: norm });
      d.decl = `${jsdoc(doc, '')}export interface ${tsName} {\n${body}}\n`;
    }
    stack.pop();
    stack.at(-1)?.refs.add(fullName);
    return { kind: type === 'error' ? 'record' : type, branch: fullName, ts: tsName, norm: fullName };
  }

  const top = resolve(src.schema, undefined, src.file);
  if (top.kind !== 'record') fail('the top-level schema must be a record');
  return { file: src.file, module, top: top.ts, decls: [...decls.values()] };
}

function tsNameOf(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** Says what a number means when a logical type gives it meaning. */
function logicalNote(type: unknown): string | undefined {
  const find = (t: unknown): string | undefined => {
    if (Array.isArray(t)) return t.map(find).find(Boolean);
    if (t && typeof t === 'object') {
      const lt = (t as { logicalType?: unknown }).logicalType;
      if (typeof lt === 'string') return lt;
    }
    return undefined;
  };
  const lt = find(type);
  if (lt === undefined) return undefined;
  const meaning: Record<string, string> = {
    'timestamp-millis': 'epoch milliseconds',
    'timestamp-micros': 'epoch microseconds',
    'local-timestamp-millis': 'local milliseconds',
    date: 'days since the epoch',
    'time-millis': 'milliseconds after midnight',
  };
  return `Avro \`${lt}\`${meaning[lt] ? `: ${meaning[lt]}` : ''}.`;
}

function jsdoc(doc: string | undefined, indent: string, extra?: string): string {
  const text = [doc, extra].filter(Boolean).join(' ').replace(/\*\//g, '*\\/');
  return text ? `${indent}/** ${text} */\n` : '';
}

function paren(ts: string): string {
  return ts.includes('|') ? `(${ts})` : ts;
}

function header(source: string): string {
  return `// generated — do not edit. Source: ${source}. Regenerate with \`pnpm codegen\`.\n\n`;
}

/** Locale-independent ordering, so output never depends on the machine. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
