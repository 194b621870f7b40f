import { afterEach, describe, expect, it } from 'vitest';
import type { AgentStatus } from '@ambit/runtime';
import { liveness, readiness, startHealthServer, type HealthServer } from './health.ts';

const limits = { maxLoopStallMs: 60_000, maxTxnAgeMs: 10_000, maxEventLoopLagMs: 5_000 };
const now = 1_000_000;
const status = (over: Partial<AgentStatus> = {}): AgentStatus => ({
  agent: 'a',
  joined: true,
  tasks: [
    { partition: 0, state: 'RUNNING' },
    { partition: 1, state: 'RUNNING' },
  ],
  ready: true,
  lastLoopAt: now - 10,
  lastCommitAt: now - 50,
  txnOpenSince: undefined,
  stopping: false,
  ...over,
});

describe('readiness', () => {
  it('is false before the agent starts, before the group assigns, while a task restores, and while stopping', () => {
    expect(readiness(undefined)).toEqual({ ok: false, reasons: ['starting'] });
    expect(readiness(status({ joined: false, tasks: [] })).reasons).toEqual(['not yet assigned by the consumer group']);
    expect(
      readiness(
        status({
          tasks: [
            { partition: 0, state: 'RUNNING' },
            { partition: 4, state: 'RESTORING' },
          ],
        }),
      ).reasons,
    ).toEqual(['tasks not running: 4=RESTORING']);
    expect(readiness(status({ stopping: true })).ok).toBe(false);
  });

  it('is true once joined with every task running, also with no task at all (more processes than partitions)', () => {
    expect(readiness(status())).toEqual({ ok: true, reasons: [] });
    expect(readiness(status({ tasks: [] })).ok).toBe(true);
  });
});

describe('liveness', () => {
  it('fails on a stalled loop, a transaction older than its timeout, or event-loop lag, naming each', () => {
    expect(liveness(status(), 100, now, limits)).toEqual({ ok: true, reasons: [] });
    expect(liveness(undefined, 100, now, limits).ok).toBe(true); // starting: alive
    const v = liveness(status({ lastLoopAt: now - 61_000, txnOpenSince: now - 11_000 }), 6_000, now, limits);
    expect(v.ok).toBe(false);
    expect(v.reasons).toEqual([
      'event-loop lag 6000 ms > 5000 ms',
      'poll loop has not turned for 61000 ms (> 60000 ms)',
      'transaction open for 11000 ms (> 10000 ms): commits are not progressing',
    ]);
  });
});

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers 503 then 200 on /health/ready as the status changes, 200 on /health/live, 404 elsewhere', async () => {
    let current: AgentStatus | undefined;
    server = await startHealthServer({ host: '127.0.0.1', port: 0, limits, status: () => current });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${server!.port}${path}`);
      return { code: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await get('/health/ready')).toEqual({ code: 503, body: { ready: false, reasons: ['starting'] } });
    current = status({ tasks: [{ partition: 0, state: 'RESTORING' }], lastLoopAt: Date.now() });
    expect((await get('/health/ready')).code).toBe(503);
    current = status({ lastLoopAt: Date.now() });
    expect(await get('/health/ready')).toEqual({ code: 200, body: { ready: true, reasons: [] } });
    expect(await get('/health/live')).toEqual({ code: 200, body: { live: true, reasons: [] } });
    current = status({ lastLoopAt: Date.now() - 120_000 });
    expect((await get('/health/live')).code).toBe(503);
    expect((await get('/status')).body).toMatchObject({ status: { agent: 'a', joined: true }, limits });
    expect((await get('/metrics')).code).toBe(404);
  });
});
