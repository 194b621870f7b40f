/**
 * The kill and pause suites of "Agent runtime I" with key-level concurrency on (64 records
 * in flight per task) and every record asking the fake model server for a second opinion in
 * a durable step. The scenario's checks all apply (exactly one decision and removal request
 * per input, read_committed; every user's decisions in submission order; trends equal to the
 * fold of the inputs in the changelog and on disk). On top: every step identity was called,
 * and repeated calls of an already-answered step stay within ADR 0008's bound, the calls the
 * killed (or paused) host had in flight at each kill (pause), from the server's own log.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  killAllHosts,
  pickVictim,
  readTopicFully,
  startFakeModelServer,
  testClientProfile,
  testPlatform,
  type FakeModelServer,
} from '@ambit/testing';
import { createAdmin } from '@ambit/kafka';
import { killFor, runScenario } from './scenario.ts';

const SEED = Number(process.env.AMBIT_KILL_SEED ?? 20_261_122);
const IN_FLIGHT = 64;

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer({ latencyMs: 20 });
});
afterEach(() => model.close());
afterAll(() => killAllHosts());

/** An interruption (kill or pause) of a host, with the journal's end offsets right after it. */
interface Interruption {
  readonly at: number;
  readonly host: string;
  readonly journalEnds: Promise<Map<number, number>>;
}

/**
 * Snapshots the journal's end offsets just after a host was killed or stopped: an entry below
 * them was on the broker at the interruption (the next owner reads it); one above was still
 * queued in the host. Taken within a few hundred ms, long before the next owner (after the
 * session timeout) or the restarted host could journal anything for the victim's calls.
 */
function interruption(namespace: string, host: string): Interruption {
  const at = Date.now();
  const journalEnds = (async () => {
    const admin = await createAdmin({ brokers: testPlatform().brokers, clientId: 'ambit-test-paid-once' });
    try {
      const ends = await admin.endOffsets(`${namespace}.moderator.journal`, 'read_uncommitted');
      return new Map(ends.map((e) => [e.partition, e.high]));
    } finally {
      await admin.close();
    }
  })();
  journalEnds.catch(() => undefined); // awaited (and raised) by paidOnce
  return { at, host, journalEnds };
}

/**
 * What the journal promises (ADR 0008), from the model server's log and the journal: a
 * repeated call of an already-answered step is allowed only for calls the interrupted host
 * had in flight at the interruption, "in flight" meaning started and its journal entry not
 * yet on the broker (not answered, or answered and its entry still queued in the host).
 * "On the broker" is decided by offset against the end offsets snapshot at the interruption
 * (an entry's CreateTime is stamped when the host queues it, before the broker has it).
 * The fake server runs on this test's event loop, so a request the host sent just before the
 * signal may be logged a little after it: calls logged up to SIGNAL_SETTLE_MS after the
 * signal count as started before it (reported as `loggedLate`). The host cannot start new
 * ones in that window: a stopped one is stopped for seconds, and a killed one's restart
 * needs seconds (process start, group join, restore) before its first call.
 * Also reported: the server-only count (started, not yet answered).
 */
const SIGNAL_SETTLE_MS = 1_000;

async function paidOnce(namespace: string, interruptions: readonly Interruption[], produced: number) {
  const journal = await readTopicFully({ brokers: testPlatform().brokers, topic: `${namespace}.moderator.journal` });
  const firstEntry = new Map<string, { partition: number; offset: number }>();
  for (const r of journal) if (r.key && !firstEntry.has(r.key)) firstEntry.set(r.key, r);
  const snapshots = await Promise.all(interruptions.map((k) => k.journalEnds));
  const onBroker = (stepId: string | undefined, ends: Map<number, number>): boolean => {
    const e = firstEntry.get(stepId ?? '');
    return e !== undefined && e.offset < (ends.get(e.partition) ?? 0);
  };
  const startedBy = (k: Interruption) => model.calls.filter((c) => c.client === k.host && c.startedAt <= k.at + SIGNAL_SETTLE_MS);
  const inFlight = (k: Interruption, i: number): number => startedBy(k).filter((c) => !onBroker(c.stepId, snapshots[i]!)).length;
  return {
    calls: model.calls.length,
    stepIdentities: model.callsPerStep().size,
    produced,
    repeats: model.repeatsOfAnswered(),
    bound: interruptions.reduce((sum, k, i) => sum + inFlight(k, i), 0),
    serverInFlight: interruptions.reduce((sum, k) => sum + model.inFlightAt(k.at, k.host), 0),
    loggedLate: interruptions.reduce((sum, k) => sum + startedBy(k).filter((c) => c.startedAt > k.at).length, 0),
  };
}

describe('moderation agent with key-level concurrency and model steps', () => {
  it(
    'under SIGKILL: exactly once, per-user order, steps paid at most once more than in flight at each kill',
    { timeout: 360_000 },
    async () => {
      const kills: Interruption[] = [];
      const { produced, namespace } = await runScenario({
        name: 'ckill',
        seed: SEED,
        slots: 3,
        startWith: 3,
        ratePerSec: 300,
        durationMs: 60_000,
        users: 900,
        model,
        maxInFlight: IN_FLIGHT,
        during: async (c) => {
          await killFor(c, {
            seed: SEED,
            forMs: 58_000,
            onKill: (e) => {
              kills.push(interruption(c.namespace, e.host));
              console.log(`[ckill seed=${SEED}] ${JSON.stringify(e)}`);
            },
          });
        },
      });
      const figures = await paidOnce(namespace, kills, produced);
      console.log(`[ckill seed=${SEED}] ${kills.length} kills; paid-once figures ${JSON.stringify(figures)}`);
      expect(kills.length).toBeGreaterThanOrEqual(10);
      expect(figures.stepIdentities).toBe(produced); // every record asked, under its own identity
      expect(figures.repeats).toBeLessThanOrEqual(figures.bound);
    },
  );

  it('under SIGSTOP: exactly once, per-user order, repeats within the calls in flight at the pause', { timeout: 360_000 }, async () => {
    const pauses: Interruption[] = [];
    const { produced, namespace } = await runScenario({
      name: 'cpause',
      seed: SEED + 1,
      slots: 3,
      startWith: 3,
      ratePerSec: 300,
      durationMs: 40_000,
      users: 900,
      model,
      maxInFlight: IN_FLIGHT,
      during: async (c) => {
        await c.sleep(8_000);
        for (let round = 0; round < 2; round++) {
          let victim = pickVictim([...c.active], c.rand);
          for (let i = 0; !victim && i < 200; i++) {
            await c.sleep(10);
            victim = pickVictim([...c.active], c.rand);
          }
          if (!victim) continue;
          victim.process.kill('SIGSTOP');
          pauses.push(interruption(c.namespace, victim.name));
          await c.sleep(testClientProfile.sessionTimeoutMs + 2_500);
          victim.process.kill('SIGCONT');
          await c.sleep(6_000);
        }
      },
    });
    const figures = await paidOnce(namespace, pauses, produced);
    console.log(`[cpause seed=${SEED + 1}] ${pauses.length} pauses; paid-once figures ${JSON.stringify(figures)}`);
    expect(pauses.length).toBe(2);
    expect(figures.stepIdentities).toBe(produced);
    expect(figures.repeats).toBeLessThanOrEqual(figures.bound);
  });
});
