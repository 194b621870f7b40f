/**
 * The kill suite (issue "Agent runtime I").
 *
 * Three hosts run the moderation agent over a 6-partition input while 700 submissions/s
 * from 1200 users arrive for 75 s. At seeded random times a host showing an open
 * transaction (a txn `progress` event with >= 1 record and no commit/abort after it) is
 * SIGKILLed and restarted with the same instance id and state dir. Afterwards, read
 * committed: exactly one decision per input (by `ambit-source`), exactly one removal
 * request per confident remove verdict, and every user's trend equal to the fold of their
 * inputs in offset order, in the changelog and in the stores on disk, also after a full
 * graceful restart (restore from checkpoint + changelog).
 *
 * Re-run a failing schedule with AMBIT_KILL_SEED=<seed printed in the log>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkExactlyOnce,
  KillSchedule,
  killAllHosts,
  latestByKey,
  mulberry32,
  produceSteadily,
  readTopicFully,
  testClientProfile,
  testPlatform,
  uniqueName,
  type KillLogEntry,
} from '@ambit/testing';
import { AGENT_NAME, TRENDS_STORE, type TrendState } from '../src/agent.ts';
import {
  contentSerde,
  expectations,
  hostSlots,
  makeSubmission,
  readStoresFromDisk,
  setUpNamespace,
  stateDiff,
  stopAllGracefully,
  userKeys,
  waitForInputsCommitted,
  waitForTasksRunning,
} from './support.ts';

const platform = testPlatform();
const SEED = Number(process.env.AMBIT_KILL_SEED ?? 20_251_122);
const PARTITIONS = 6; // content.submitted in schemas/topics.yaml
const HOSTS = 3;
const USERS = 1200;
const RATE_PER_SEC = 700;
const DURATION_MS = 75_000; // 52,500 submissions
const MIN_KILLS = 10;

const stateRoots: string[] = [];

afterAll(async () => {
  await killAllHosts();
  for (const dir of stateRoots) rmSync(dir, { recursive: true, force: true });
});

describe('moderation agent under SIGKILL', () => {
  it('keeps exactly-once outputs and folded state while hosts are killed mid-transaction', { timeout: 360_000 }, async () => {
    const ns = uniqueName('kill');
    await setUpNamespace(platform, ns);
    const stateRoot = mkdtempSync(join(tmpdir(), 'ambit-kill-'));
    stateRoots.push(stateRoot);
    const slots = hostSlots(HOSTS, {
      prefix: 'kill',
      platform,
      namespace: ns,
      stateRoot,
      env: {
        AMBIT_SESSION_TIMEOUT_MS: String(testClientProfile.sessionTimeoutMs),
        AMBIT_TRANSACTION_TIMEOUT_MS: String(testClientProfile.transactionTimeoutMs),
        AMBIT_COMMIT_INTERVAL_MS: '100',
      },
    });
    slots.forEach((s) => s.start());
    await waitForTasksRunning(() => slots.map((s) => s.process), PARTITIONS, 90_000, { everyHostBusy: true });

    // ---- load + kills ----
    const schedule = new KillSchedule({
      seed: SEED,
      hosts: slots,
      // Each kill costs a rebalance (a few seconds without open transactions), so the pauses are short.
      minIntervalMs: 1_500,
      maxIntervalMs: 3_000,
      selectTimeoutMs: 4_000,
      onKill: (e: KillLogEntry) => console.log(`[kill seed=${SEED}] ${JSON.stringify(e)}`),
    });
    const killing = schedule.run();
    const serde = contentSerde(platform, ns);
    const keys = userKeys(USERS);
    const pick = mulberry32(SEED ^ 0x5eed);
    const submissions: Array<ReturnType<typeof makeSubmission>> = [];
    const result = await produceSteadily({
      brokers: platform.brokers,
      topic: `${ns}.content.submitted`,
      ratePerSec: RATE_PER_SEC,
      durationMs: DURATION_MS,
      keys,
      keyFor: () => keys[Math.floor(pick() * keys.length)]!,
      makeValue: (i, key) => serde.serialize((submissions[i] = makeSubmission(i, key))),
    }).finally(() => schedule.stop());
    const log = await killing;
    console.log(
      `[kill seed=${SEED}] produced ${result.records.length} in ${result.elapsedMs} ms; ${log.length} kills, ` +
        `${log.filter((e) => e.openAtExit).length} confirmed open at exit, ${schedule.skipped} rounds without an open transaction`,
    );

    expect(result.records.length).toBeGreaterThanOrEqual(50_000);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(60_000);
    expect(log.length).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(log.every((e) => e.txnRecords >= 1)).toBe(true);
    // Picked on a `progress` line; the kill can still race a commit that was already under way.
    expect(log.filter((e) => e.openAtExit).length).toBeGreaterThanOrEqual(MIN_KILLS);

    // ---- drain ----
    await waitForTasksRunning(() => slots.map((s) => s.process), PARTITIONS, 120_000, { everyHostBusy: true });
    await waitForInputsCommitted(platform, ns, 120_000);

    const want = expectations(result.records.map((r) => ({ ...r, submission: submissions[r.i]! })));
    expect(want.states.size).toBeGreaterThan(USERS * 0.95);

    // ---- outputs, read committed ----
    const dlq = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.${AGENT_NAME}.dlq` });
    expect(dlq.map((r) => `${r.headers['ambit-source']?.toString()} ${r.headers['ambit-dlq-code']?.toString()}`)).toEqual([]);
    const decisions = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions` });
    expect(checkExactlyOnce(decisions, want.sources)).toEqual({ missing: [], duplicates: [], unexpected: [] });
    const effects = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.effects.requested` });
    expect(checkExactlyOnce(effects, want.removalSources)).toEqual({ missing: [], duplicates: [], unexpected: [] });

    // ---- state: changelog ----
    const changelog = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.${AGENT_NAME}.${TRENDS_STORE}.changelog` });
    const fromChangelog = new Map([...latestByKey(changelog)].map(([k, v]) => [k, JSON.parse(v.toString('utf8')) as TrendState]));
    expect(stateDiff(fromChangelog, want.states)).toEqual([]);

    // ---- state: stores on disk, after a graceful stop and after a full restart ----
    const stateDirs = slots.map((s) => s.spec.env!.AMBIT_STATE_DIR!);
    await stopAllGracefully(slots);
    expect(stateDiff(await readStoresFromDisk(stateDirs, PARTITIONS), want.states)).toEqual([]);

    slots.forEach((s) => s.start());
    await waitForTasksRunning(() => slots.map((s) => s.process), PARTITIONS, 90_000, { everyHostBusy: true });
    await stopAllGracefully(slots);
    expect(stateDiff(await readStoresFromDisk(stateDirs, PARTITIONS), want.states)).toEqual([]);
  });
});
