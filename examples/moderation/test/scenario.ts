/**
 * One end-to-end run of the moderation agent on hosts that a scenario starts, stops,
 * pauses or kills while input arrives at a steady rate, followed by the exactly-once
 * checks every process-killing suite shares:
 *   - read_committed: exactly one decision per input and one removal request per
 *     confident remove verdict (by `ambit-source`);
 *   - every user's trend equals the fold of their inputs in offset order, in the changelog
 *     and in the stores on disk, after a graceful stop and again after a full restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  checkExactlyOnce,
  keyOrderDiff,
  latestByKey,
  mulberry32,
  produceSteadily,
  readTopicFully,
  testClientProfile,
  testPlatform,
  uniqueName,
  KillSchedule,
  type FakeModelServer,
  type HostSlot,
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

export const PARTITIONS = 6;

export interface ScenarioControl {
  readonly slots: readonly HostSlot[];
  /** Slots whose process should be running at the end (the scenario keeps it up to date). */
  readonly active: Set<HostSlot>;
  sleep(ms: number): Promise<void>;
  readonly rand: () => number;
  /** Aborted when the input stops (all produced, or the producer failed): faults should stop too. */
  readonly inputDone: AbortSignal;
  /** The scenario's topic namespace. */
  readonly namespace: string;
}

export interface ScenarioOptions {
  readonly name: string;
  readonly seed: number;
  readonly slots: number;
  /** Slots started before the input begins. */
  readonly startWith: number;
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly users: number;
  /** Extra environment per slot index. */
  readonly envFor?: (index: number) => Record<string, string>;
  /** What happens to the hosts while input arrives. */
  readonly during: (c: ScenarioControl) => Promise<void>;
  /** Every record asks this model server for a second opinion in a durable step. */
  readonly model?: FakeModelServer;
  /** After the faults and after the final restart, also wait until every live host holds a task. */
  readonly everyHostBusy?: boolean;
  /** Key-level concurrency of every host (AMBIT_MAX_IN_FLIGHT); default 1. */
  readonly maxInFlight?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The kill suites' schedule, for a scenario's `during`: for `forMs`, at seeded random times
 * 1.5-3 s apart (each kill costs a rebalance), SIGKILLs a host showing an open transaction
 * and restarts it with the same instance id and state dir.
 */
export async function killFor(
  c: ScenarioControl,
  o: { seed: number; forMs: number; onKill: (e: KillLogEntry) => void },
): Promise<{ log: KillLogEntry[]; skipped: number }> {
  const schedule = new KillSchedule({
    seed: o.seed,
    hosts: c.slots,
    minIntervalMs: 1_500,
    maxIntervalMs: 3_000,
    selectTimeoutMs: 4_000,
    onKill: o.onKill,
  });
  const killing = schedule.run();
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, o.forMs);
    c.inputDone.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
  schedule.stop();
  return { log: await killing, skipped: schedule.skipped };
}

export interface ScenarioResult {
  readonly slots: readonly HostSlot[];
  readonly produced: number;
  /** How long the steady input took from first to last record. */
  readonly elapsedMs: number;
  readonly namespace: string;
  /** Users with at least one input (the number of folded states checked). */
  readonly users: number;
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const platform = testPlatform();
  const ns = uniqueName(o.name);
  await setUpNamespace(platform, ns);
  const stateRoot = mkdtempSync(join(tmpdir(), `ambit-${o.name}-`));
  const base = {
    AMBIT_SESSION_TIMEOUT_MS: String(testClientProfile.sessionTimeoutMs),
    AMBIT_TRANSACTION_TIMEOUT_MS: String(testClientProfile.transactionTimeoutMs),
    AMBIT_COMMIT_INTERVAL_MS: '100',
    ...(o.maxInFlight ? { AMBIT_MAX_IN_FLIGHT: String(o.maxInFlight) } : {}),
    ...(o.model ? { AMBIT_MODEL_BASE_URL: o.model.url, AMBIT_MODEL: 'fake' } : {}),
  };
  const slots = hostSlots(o.slots, { prefix: o.name, platform, namespace: ns, stateRoot, env: base });
  if (o.envFor) {
    slots.forEach((s, i) => Object.assign(s.spec.env as Record<string, string>, o.envFor!(i)));
  }
  const active = new Set(slots.slice(0, o.startWith));
  for (const s of active) s.start();
  const live = () => [...active].map((s) => s.process);
  await waitForTasksRunning(live, PARTITIONS, 90_000, { everyHostBusy: true });

  const serde = contentSerde(platform, ns);
  const keys = userKeys(o.users);
  const rand = mulberry32(o.seed);
  const pick = mulberry32(o.seed ^ 0x5eed);
  const submissions: Array<ReturnType<typeof makeSubmission>> = [];
  const input = new AbortController();
  const [result] = await Promise.all([
    produceSteadily({
      brokers: platform.brokers,
      topic: `${ns}.content.submitted`,
      ratePerSec: o.ratePerSec,
      durationMs: o.durationMs,
      keys,
      keyFor: () => keys[Math.floor(pick() * keys.length)]!,
      makeValue: (i, key) => serde.serialize((submissions[i] = makeSubmission(i, key))),
    }).finally(() => input.abort()),
    o.during({ slots, active, sleep, rand, inputDone: input.signal, namespace: ns }),
  ]);

  const busy = { everyHostBusy: o.everyHostBusy ?? false };
  await waitForTasksRunning(live, PARTITIONS, 120_000, busy);
  await waitForInputsCommitted(platform, ns, 120_000);
  const want = expectations(result.records.map((r) => ({ ...r, submission: submissions[r.i]! })));

  const dlq = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.${AGENT_NAME}.dlq` });
  expect(
    dlq.map(
      (r) =>
        `${r.headers['ambit-source']?.toString()} ${r.headers['ambit-dlq-code']?.toString()}: ${r.headers['ambit-dlq-cause']?.toString()}`,
    ),
  ).toEqual([]);
  const decisions = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.decisions` });
  const once = checkExactlyOnce(decisions, want.sources);
  if (once.missing.length + once.duplicates.length > 0) {
    // What the hosts logged (warnings and errors), to tell which path lost or doubled a record.
    for (const p of slots.flatMap((s) => s.generations)) console.log(`---- ${p.name} pid ${p.pid}\n${p.stderrTail(60)}`);
  }
  expect(once).toEqual({ missing: [], duplicates: [], unexpected: [] });
  // Per user, decisions in the order of their submissions: no gap, repeat or swap (with concurrency too).
  const inputs = [...result.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  expect(
    keyOrderDiff(
      decisions,
      inputs.map((r) => ({ key: r.key, source: `content.submitted/${r.partition}/${r.offset}` })),
    ),
  ).toEqual([]);
  const effects = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.effects.requested` });
  expect(checkExactlyOnce(effects, want.removalSources)).toEqual({ missing: [], duplicates: [], unexpected: [] });

  const changelog = await readTopicFully({ brokers: platform.brokers, topic: `${ns}.${AGENT_NAME}.${TRENDS_STORE}.changelog` });
  const fromChangelog = new Map([...latestByKey(changelog)].map(([k, v]) => [k, JSON.parse(v.toString('utf8')) as TrendState]));
  expect(stateDiff(fromChangelog, want.states)).toEqual([]);

  const stateDirs = slots.map((s) => s.spec.env!.AMBIT_STATE_DIR!);
  const finals = [...active];
  await stopAllGracefully(finals);
  expect(stateDiff(await readStoresFromDisk(stateDirs, PARTITIONS), want.states)).toEqual([]);
  for (const s of finals) s.start();
  await waitForTasksRunning(live, PARTITIONS, 90_000, busy);
  await stopAllGracefully(finals);
  expect(stateDiff(await readStoresFromDisk(stateDirs, PARTITIONS), want.states)).toEqual([]);
  rmSync(stateRoot, { recursive: true, force: true }); // kept when a check failed, for a post-mortem
  return { slots, produced: result.records.length, elapsedMs: result.elapsedMs, namespace: ns, users: want.states.size };
}
