/**
 * Scaling by partition: 1 -> 3 -> 2 processes while input arrives; the last step once with
 * SIGTERM (graceful: commit, leave) and once with SIGKILL. Every partition is processed,
 * state follows its partition (restored from the changelog on the new owner), and the
 * exactly-once checks of the kill suite hold. The SIGKILL run has key-level concurrency on
 * (64 in flight per task) and a model step per record.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllHosts, startFakeModelServer, type HostSlot } from '@ambit/testing';
import { PARTITIONS, runScenario } from './scenario.ts';
import { waitForTasksRunning } from './support.ts';

afterAll(() => killAllHosts());

async function oneToThreeToTwo(signal: 'SIGTERM' | 'SIGKILL', seed: number, concurrent = false): Promise<HostSlot[]> {
  const seen: HostSlot[] = [];
  const model = concurrent ? await startFakeModelServer({ latencyMs: 20 }) : undefined;
  await runScenario({
    ...(model ? { model, maxInFlight: 64 } : {}),
    name: `scale-${signal.toLowerCase()}`,
    seed,
    slots: 3,
    startWith: 1,
    ratePerSec: 300,
    durationMs: 36_000,
    users: 600,
    during: async ({ slots, active, sleep }) => {
      await sleep(8_000);
      for (const s of slots.slice(1)) {
        s.start();
        active.add(s);
      }
      await waitForTasksRunning(() => [...active].map((s) => s.process), PARTITIONS, 90_000, { everyHostBusy: true });
      seen.push(...active);
      await sleep(6_000);
      const leaving = slots[1]!;
      active.delete(leaving);
      leaving.process.kill(signal);
      const exit = await leaving.process.waitExit(30_000);
      if (signal === 'SIGTERM') expect(exit).toEqual({ code: 0, signal: null });
      else expect(exit.signal).toBe('SIGKILL');
      await waitForTasksRunning(() => [...active].map((s) => s.process), PARTITIONS, 90_000, { everyHostBusy: true });
    },
  }).finally(() => model?.close());
  return seen;
}

describe('scaling 1 -> 3 -> 2 processes', () => {
  it('with SIGTERM for the last step: every partition processed, state follows its partition', { timeout: 300_000 }, async () => {
    expect(await oneToThreeToTwo('SIGTERM', 31)).toHaveLength(3);
  });

  it(
    'with SIGKILL for the last step and concurrency on: every partition processed, state follows its partition',
    { timeout: 300_000 },
    async () => {
      expect(await oneToThreeToTwo('SIGKILL', 32, true)).toHaveLength(3);
    },
  );
});
