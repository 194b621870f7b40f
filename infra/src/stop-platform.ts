/**
 * `down`: stops the processes a data dir's pid files name (registry first, then Kafka),
 * whoever launched them. A pid whose command line no longer carries our instance tag is
 * treated as gone, never signalled.
 */
import { resolveConfig, type PlatformOptions } from './config.ts';
import { dataLayout, type Component } from './layout.ts';
import { isRecordedProcess, readPidFile, removePidFile, stopPid } from './processes.ts';

export interface StopResult {
  readonly component: Component;
  readonly pid: number | undefined;
  /** stopped: exited after SIGTERM; killed: needed SIGKILL; not-running: no live process of ours. */
  readonly outcome: 'stopped' | 'killed' | 'not-running';
  readonly ms: number;
}

export async function stopPlatform(options: PlatformOptions = {}): Promise<StopResult[]> {
  const cfg = resolveConfig(options);
  const layout = dataLayout(cfg.dataDir);
  const results: StopResult[] = [];
  for (const component of ['registry', 'kafka'] as const) {
    const file = layout.pidFile(component);
    const start = Date.now();
    const rec = await readPidFile(file);
    if (!rec || !(await isRecordedProcess(rec))) {
      results.push({ component, pid: rec?.pid, outcome: 'not-running', ms: 0 });
    } else {
      cfg.logger.info(`stopping ${component}`, { pid: rec.pid });
      const outcome = await stopPid(rec.pid, cfg.stopTimeoutMs);
      results.push({ component, pid: rec.pid, outcome, ms: Date.now() - start });
    }
    await removePidFile(file);
  }
  return results;
}
