/**
 * Generates TypeScript types from schemas/avro/*.avsc into schemas/src/generated/.
 *   pnpm codegen          write (and delete stale) generated files
 *   pnpm codegen:check    exit 1 naming every generated file that is out of date (CI)
 * `--avro <dir>` / `--out <dir>` override the directories (tests).
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkGenerated, generateTypes, readAvroDir, writeGenerated } from '../src/codegen.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function main(): number {
  let values: { check?: boolean; avro?: string; out?: string };
  try {
    ({ values } = parseArgs({
      options: { check: { type: 'boolean' }, avro: { type: 'string' }, out: { type: 'string' } },
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`codegen: ${(e as Error).message}\nusage: codegen.ts [--check] [--avro <dir>] [--out <dir>]\n`);
    return 1;
  }
  const avroDir = resolve(values.avro ?? resolve(root, 'avro'));
  const outDir = resolve(values.out ?? resolve(root, 'src/generated'));
  // Paths in output are relative to the working directory: never machine-specific in CI logs.
  const show = (p: string): string => relative(process.cwd(), p) || '.';
  const files = generateTypes(readAvroDir(avroDir), 'schemas/avro');

  if (values.check) {
    const drift = checkGenerated(outDir, files);
    if (drift.length === 0) {
      process.stdout.write(`codegen: ${files.length} generated files up to date\n`);
      return 0;
    }
    for (const d of drift)
      process.stderr.write(`codegen: ${show(resolve(outDir, d.path))} is ${d.kind === 'changed' ? 'out of date' : d.kind}\n`);
    process.stderr.write('codegen: generated types drifted from schemas/avro; run `pnpm codegen` and commit the result\n');
    return 1;
  }
  const changed = writeGenerated(outDir, files);
  for (const d of changed) process.stdout.write(`codegen: ${d.kind === 'stale' ? 'removed' : 'wrote'} ${show(resolve(outDir, d.path))}\n`);
  process.stdout.write(`codegen: ${files.length} files, ${changed.length} changed\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  process.stderr.write(`codegen: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
