/**
 * SIGSTOP a host for longer than the session timeout but shorter than the transaction
 * timeout, then SIGCONT: the group has moved on, so the host's next offsets or commit are
 * refused (stale generation / fenced), it aborts and rejoins, and the exactly-once checks of
 * the kill suite hold. Twice: paused at a random moment of an open transaction, and paused
 * by the runtime's fault hook right after sending offsets and before committing (the new
 * owner must keep that transaction's state updates whether it then commits or aborts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllHosts, testClientProfile, type DiagnosticEvent, type HostProcess } from '@ambit/testing';
import { runScenario, sleep } from './scenario.ts';

const SESSION_MS = testClientProfile.sessionTimeoutMs;
const PAUSE_MS = SESSION_MS + 2_500;

afterAll(() => killAllHosts());

/** After SIGCONT the host must lose its generation (abort or a rejoin-class error) and run tasks again. */
async function expectRejoined(host: HostProcess, resumedAt: number): Promise<void> {
  const lostGeneration = (e: DiagnosticEvent): boolean =>
    e.t >= resumedAt &&
    ((e.ch === 'ambit:runtime:txn' && e.event === 'abort') ||
      (e.ch === 'ambit:runtime:error' &&
        ['KAFKA_STALE_GENERATION', 'KAFKA_FENCED', 'KAFKA_REBALANCE_IN_PROGRESS'].includes(String(e.code))) ||
      (e.ch === 'ambit:runtime:task' && e.state === 'CLOSED'));
  const events: DiagnosticEvent[] = [];
  host.events.on('diagnostic', (e: DiagnosticEvent) => events.push(e));
  const deadline = Date.now() + 60_000;
  while (!events.some(lostGeneration) && Date.now() < deadline) await sleep(200);
  const story = (): string =>
    `${host.name} after resume:\n${events
      .filter((e) => e.event !== 'progress')
      .map((e) => JSON.stringify(e))
      .join('\n')}\n${host.stderrTail(30)}`;
  expect(events.some(lostGeneration), story()).toBe(true);
  const lostAt = events.find(lostGeneration)!.t;
  while (!events.some((e) => e.t >= lostAt && e.ch === 'ambit:runtime:task' && e.state === 'RUNNING') && Date.now() < deadline)
    await sleep(200);
  expect(
    events.some((e) => e.t >= lostAt && e.ch === 'ambit:runtime:task' && e.state === 'RUNNING'),
    story(),
  ).toBe(true);
}

describe('moderation agent under SIGSTOP', () => {
  it('pauses longer than the session timeout and shorter than the transaction timeout', () => {
    expect(PAUSE_MS).toBeGreaterThan(SESSION_MS);
    expect(PAUSE_MS).toBeLessThan(testClientProfile.transactionTimeoutMs);
  });

  it(
    'a host paused at a random point of an open transaction is fenced, aborts, rejoins; exactly-once holds',
    { timeout: 300_000 },
    async () => {
      let checked = false;
      await runScenario({
        name: 'pause-random',
        seed: 4242,
        slots: 3,
        startWith: 3,
        ratePerSec: 300,
        durationMs: 30_000,
        users: 600,
        during: async ({ slots, sleep, rand }) => {
          await sleep(5_000 + Math.floor(rand() * 5_000));
          const open = (h: HostProcess): boolean =>
            (h.lastTxn?.event === 'begin' || h.lastTxn?.event === 'progress') && (h.lastTxn?.records ?? 0) >= 1;
          let victim: HostProcess | undefined;
          for (let i = 0; i < 200 && !victim; i++) {
            victim = slots.map((s) => s.process).find(open);
            if (!victim) await sleep(10);
          }
          expect(victim).toBeDefined();
          victim!.kill('SIGSTOP');
          await sleep(PAUSE_MS);
          const resumedAt = Date.now();
          victim!.kill('SIGCONT');
          await expectRejoined(victim!, resumedAt);
          checked = true;
        },
      });
      expect(checked).toBe(true);
    },
  );

  it('a host paused after sending offsets and before committing loses no state; exactly-once holds', { timeout: 300_000 }, async () => {
    let checked = false;
    await runScenario({
      name: 'pause-hook',
      seed: 777,
      slots: 3,
      startWith: 3,
      ratePerSec: 300,
      durationMs: 30_000,
      users: 600,
      envFor: (i): Record<string, string> => (i === 0 ? { AMBIT_FAULT_PAUSE_BEFORE_COMMIT: '1' } : {}),
      during: async ({ slots, sleep }) => {
        const host = slots[0]!.process;
        // The hook SIGSTOPs the host itself at its first commit with records.
        const fault = await host.waitFor((e) => e.ch === 'ambit:runtime:fault' && e.event === 'paused-before-commit', 60_000);
        expect(Number(fault.records)).toBeGreaterThanOrEqual(1);
        await sleep(PAUSE_MS);
        const resumedAt = Date.now();
        host.kill('SIGCONT');
        await expectRejoined(host, resumedAt);
        checked = true;
      },
    });
    expect(checked).toBe(true);
  });
});
