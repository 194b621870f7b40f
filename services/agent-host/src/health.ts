/**
 * Readiness and liveness over HTTP, for orchestrators (Kubernetes probes, systemd, load
 * balancers). node:http on purpose: the host serves three GET routes and must stay small.
 *
 *   GET /health/ready  200 when the agent has joined its group and every task it holds has
 *                      restored and runs; 503 while starting, restoring, rebalancing, stopping
 *   GET /health/live   200 while the poll loop turns, any open transaction is younger than
 *                      the transaction timeout, and the event-loop lag stays under its bound;
 *                      503 otherwise (restart the process)
 *   GET /status        the runtime's status snapshot plus the lag figures, as JSON
 *
 * Bodies are JSON `{ ready|live, reasons: [...] , ... }`; a 503 always names its reasons.
 */
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AgentStatus } from '@ambit/runtime';

export interface HealthLimits {
  /** The poll loop may not go without a turn for longer than this. */
  readonly maxLoopStallMs: number;
  /** An open transaction older than this means the commit loop is stuck. */
  readonly maxTxnAgeMs: number;
  /** Worst event-loop delay tolerated over the last sampling window. */
  readonly maxEventLoopLagMs: number;
}

export interface Verdict {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

/** Pure: readiness from a status snapshot (undefined: the agent has not started yet). */
export function readiness(status: AgentStatus | undefined): Verdict {
  if (status === undefined) return { ok: false, reasons: ['starting'] };
  const reasons: string[] = [];
  if (status.stopping) reasons.push('stopping');
  if (!status.joined) reasons.push('not yet assigned by the consumer group');
  const notRunning = status.tasks.filter((t) => t.state !== 'RUNNING');
  if (notRunning.length > 0) reasons.push(`tasks not running: ${notRunning.map((t) => `${t.partition}=${t.state}`).join(', ')}`);
  return { ok: reasons.length === 0, reasons };
}

/** Pure: liveness from a status snapshot, the worst recent event-loop delay and the clock. */
export function liveness(status: AgentStatus | undefined, lagMs: number, now: number, limits: HealthLimits): Verdict {
  const reasons: string[] = [];
  if (lagMs > limits.maxEventLoopLagMs) reasons.push(`event-loop lag ${Math.round(lagMs)} ms > ${limits.maxEventLoopLagMs} ms`);
  if (status !== undefined) {
    const stalled = now - status.lastLoopAt;
    if (stalled > limits.maxLoopStallMs) reasons.push(`poll loop has not turned for ${stalled} ms (> ${limits.maxLoopStallMs} ms)`);
    if (status.txnOpenSince !== undefined && now - status.txnOpenSince > limits.maxTxnAgeMs) {
      reasons.push(`transaction open for ${now - status.txnOpenSince} ms (> ${limits.maxTxnAgeMs} ms): commits are not progressing`);
    }
  }
  return { ok: reasons.length === 0, reasons };
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Windows of event-loop delay: the worst delay of the previous full window (and of the current one so far). */
const LAG_WINDOW_MS = 5_000;

export async function startHealthServer(options: {
  readonly host: string;
  readonly port: number;
  readonly limits: HealthLimits;
  readonly status: () => AgentStatus | undefined;
}): Promise<HealthServer> {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  let previousMaxMs = 0;
  const rotate = setInterval(() => {
    previousMaxMs = histogram.max / 1e6;
    histogram.reset();
  }, LAG_WINDOW_MS);
  rotate.unref();
  const lagMs = (): number => Math.max(previousMaxMs, histogram.max / 1e6);

  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { error: 'only GET is served' });
    const status = options.status();
    if (path === '/health/ready') {
      const v = readiness(status);
      return send(v.ok ? 200 : 503, { ready: v.ok, reasons: v.reasons });
    }
    if (path === '/health/live') {
      const v = liveness(status, lagMs(), Date.now(), options.limits);
      return send(v.ok ? 200 : 503, { live: v.ok, reasons: v.reasons });
    }
    if (path === '/status') return send(200, { status: status ?? null, eventLoopLagMs: Math.round(lagMs()), limits: options.limits });
    return send(404, { error: `no route ${path}; try /health/ready, /health/live or /status` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(rotate);
        histogram.disable();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
