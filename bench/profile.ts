/**
 * Where an Ambit host's CPU time goes: reads the V8 CPU profile(s) `node --cpu-prof` wrote
 * and sums self time per function and per area (our packages, dependencies, Node internals,
 * GC, idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Share of busy (non-idle) time per area. */
  readonly byArea: ProfileEntry[];
  readonly topFunctions: ProfileEntry[];
}

/** The area a frame belongs to: an Ambit package, a dependency, Node itself, or V8's buckets. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  // The last `node_modules/<package>/` in the path (pnpm nests them under node_modules/.pnpm).
  const dependency = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/.][^/]*)\//g)].pop();
  if (dependency) return dependency[1]!;
  const ours = /\/(libs|services|bench|examples)\/([^/]+)\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

export function summarizeProfile(dir: string): ProfileSummary {
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    // Each sample's time is the delta to the next sample.
    for (let i = 0; i < p.samples.length; i++) {
      const node = byId.get(p.samples[i]!);
      const us = p.timeDeltas[i + 1] ?? 0;
      if (!node) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const area = areaOf(url, functionName);
      const fn =
        `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|libs|services|bench)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
      self.set(fn, (self.get(fn) ?? 0) + us);
      areas.set(area, (areas.get(area) ?? 0) + us);
      total += us;
    }
  }
  const idle = areas.get('(idle)') ?? 0;
  const busy = Math.max(1, total - idle);
  const entries = (m: Map<string, number>, n: number): ProfileEntry[] =>
    [...m.entries()]
      .filter(([name]) => name !== '(idle)' && !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((us / busy) * 1000) / 1000 }));
  return { totalMs: Math.round(total / 1000), byArea: entries(areas, 20), topFunctions: entries(self, 25) };
}
