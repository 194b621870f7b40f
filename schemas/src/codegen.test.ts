import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import avsc from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { AVRO_DIR } from './schema-files.ts';
import { checkGenerated, generateTypes, moduleName, readAvroDir, writeGenerated, type AvroSource } from './codegen.ts';

// Where `--import tsx` resolves from.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
// Mirrors libs/serde AVRO_TYPE_OPTIONS (avsc defaults); schemas does not depend on serde.
const AVRO_TYPE_OPTIONS = { wrapUnions: 'auto' as const };

const ts = { type: 'long', logicalType: 'timestamp-millis' };

const sample: AvroSource = {
  file: 'Sample.avsc',
  schema: {
    type: 'record',
    name: 'Sample',
    namespace: 'test.v1',
    doc: 'A sample.',
    fields: [
      { name: 'id', type: 'string', doc: 'Id.' },
      { name: 'count', type: 'int' },
      { name: 'big', type: 'long' },
      { name: 'ratio', type: 'double' },
      { name: 'ok', type: 'boolean' },
      { name: 'raw', type: 'bytes' },
      { name: 'at', type: ts, doc: 'When.' },
      { name: 'maybe', type: ['null', 'string'], default: null },
      { name: 'maybeAt', type: ['null', ts], default: null },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'attrs', type: { type: 'map', values: 'long' } },
      { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
      { name: 'colors', type: { type: 'array', items: 'Color' } },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
      { name: 'mixed', type: ['null', 'string', 'long'] },
      {
        name: 'payload',
        type: [
          { type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] },
          { type: 'record', name: 'B', fields: [{ name: 'next', type: ['null', 'B'], default: null }] },
        ],
      },
      { name: 'numbers', type: ['int', 'long'] },
      { name: 'nested', type: { type: 'array', items: ['null', 'string'] } },
    ],
  },
};

const generated = (sources: AvroSource[]): Map<string, string> => new Map(generateTypes(sources).map((f) => [f.path, f.content]));

describe('codegen type mapping', () => {
  const out = generated([sample]).get('sample.ts')!;

  it('maps primitives, logical types, nullables, arrays and maps as avsc decodes them', () => {
    expect(out).toMatch(/^\/\/ generated — do not edit\. Source: schemas\/avro\/Sample\.avsc/);
    expect(out).toContain('/** A sample. */\nexport interface Sample {');
    expect(out).toContain('  /** Id. */\n  id: string;');
    expect(out).toContain('  count: number;');
    expect(out).toContain('  big: number;');
    expect(out).toContain('  ratio: number;');
    expect(out).toContain('  ok: boolean;');
    expect(out).toContain('  raw: Buffer;');
    expect(out).toContain('  /** When. Avro `timestamp-millis`: epoch milliseconds. */\n  at: number;');
    expect(out).toContain('  maybe: string | null;');
    expect(out).toContain('  maybeAt: number | null;');
    expect(out).toContain('  tags: string[];');
    expect(out).toContain('  attrs: Record<string, number>;');
    expect(out).toContain('  nested: (string | null)[];');
  });

  it('maps enums and fixed to named types, referenced by name', () => {
    expect(out).toContain("export type Color = 'RED' | 'GREEN';");
    expect(out).toContain('  color: Color;');
    expect(out).toContain('  colors: Color[];');
    expect(out).toContain('export type Hash = Buffer;');
  });

  it('unwraps distinguishable unions and wraps ambiguous ones, like avsc', () => {
    expect(out).toContain('  mixed: string | number | null;');
    expect(out).toContain("  payload:\n    | { 'test.v1.A': A }\n    | { 'test.v1.B': B };");
    expect(out).toContain("  numbers:\n    | { 'int': number }\n    | { 'long': number };");
    // Recursive reference.
    expect(out).toContain('export interface B {\n  next: B | null;\n}');
  });

  it("matches the values avsc decodes with serde's options", () => {
    const type = avsc.Type.forSchema(sample.schema as avsc.Schema, { ...AVRO_TYPE_OPTIONS });
    const value = {
      id: 'x',
      count: 1,
      big: 2 ** 40,
      ratio: 0.5,
      ok: true,
      raw: Buffer.from('r'),
      at: 1_700_000_000_000,
      maybe: null,
      maybeAt: 5,
      tags: ['t'],
      attrs: { k: 1 },
      color: 'RED',
      colors: ['GREEN'],
      hash: Buffer.alloc(4),
      mixed: 7,
      payload: { 'test.v1.B': { next: { next: null } } },
      numbers: { long: 3 },
      nested: [null, 's'],
    };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });

  it('names modules after their schema files', () => {
    expect(moduleName('EscalationEvent.avsc')).toBe('escalation-event.ts');
    expect(moduleName('DlqRecord.avsc')).toBe('dlq-record.ts');
  });

  it('moves named types several files define into shared.ts and rejects conflicting definitions', () => {
    const reviewer = { type: 'record', name: 'Reviewer', fields: [{ name: 'id', type: 'string' }] };
    const a = { file: 'A1.avsc', schema: { type: 'record', name: 'A1', namespace: 'n', fields: [{ name: 'r', type: reviewer }] } };
    const b = { file: 'B1.avsc', schema: { type: 'record', name: 'B1', namespace: 'n', fields: [{ name: 'r', type: reviewer }] } };
    const files = generated([b, a]);
    expect([...files.keys()]).toEqual(['a1.ts', 'b1.ts', 'index.ts', 'shared.ts']);
    expect(files.get('shared.ts')).toContain('// Defined in: A1.avsc, B1.avsc\nexport interface Reviewer {');
    expect(files.get('a1.ts')).toContain("import type { Reviewer } from './shared.ts';");
    expect(files.get('a1.ts')).not.toContain('interface Reviewer');
    expect(files.get('index.ts')).toContain("export type { Reviewer } from './shared.ts';");
    expect(files.get('index.ts')).toContain('  A1: A1;');

    const other = { ...reviewer, fields: [{ name: 'id', type: 'long' }] };
    const c = { file: 'C1.avsc', schema: { type: 'record', name: 'C1', namespace: 'n', fields: [{ name: 'r', type: other }] } };
    expect(() => generateTypes([a, c])).toThrow(/n\.Reviewer is defined differently in A1\.avsc and C1\.avsc/);
  });

  it('rejects references a file does not define (files must be self-contained)', () => {
    const s = { file: 'X.avsc', schema: { type: 'record', name: 'X', fields: [{ name: 'o', type: 'Origin' }] } };
    expect(() => generateTypes([s])).toThrow(/X\.avsc: X\.o: unknown type name "Origin"/);
  });

  it('is deterministic', () => {
    const sources = readAvroDir(AVRO_DIR);
    expect(generateTypes(sources)).toEqual(generateTypes([...sources].reverse()));
  });
});

describe('codegen --check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ambit-codegen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports changed, missing and stale files; write fixes them', () => {
    const files = generateTypes(readAvroDir(AVRO_DIR));
    expect(checkGenerated(dir, files).every((d) => d.kind === 'missing')).toBe(true);
    writeGenerated(dir, files);
    expect(checkGenerated(dir, files)).toEqual([]);

    writeFileSync(join(dir, 'decision.ts'), readFileSync(join(dir, 'decision.ts'), 'utf8') + '// edited\n');
    rmSync(join(dir, 'policy-set.ts'));
    writeFileSync(join(dir, 'old-record.ts'), '// left over\n');
    expect(checkGenerated(dir, files)).toEqual([
      { path: 'decision.ts', kind: 'changed' },
      { path: 'policy-set.ts', kind: 'missing' },
      { path: 'old-record.ts', kind: 'stale' },
    ]);
    writeGenerated(dir, files);
    expect(checkGenerated(dir, files)).toEqual([]);
  });

  it('the script exits non-zero naming the drifted file', async () => {
    const script = fileURLToPath(new URL('../scripts/codegen.ts', import.meta.url));
    const run = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO });
    await run('--out', dir);
    await expect(run('--check', '--out', dir)).resolves.toMatchObject({ stdout: expect.stringContaining('up to date') });
    writeFileSync(join(dir, 'journal-entry.ts'), '// hand edit\n');
    const err = await run('--check', '--out', dir).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('journal-entry.ts is out of date');
  });

  it('the committed generated files are up to date', () => {
    const out = fileURLToPath(new URL('./generated', import.meta.url));
    expect(checkGenerated(out, generateTypes(readAvroDir(AVRO_DIR)))).toEqual([]);
  });
});
