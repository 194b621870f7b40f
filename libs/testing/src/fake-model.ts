/**
 * A fake OpenAI-compatible model server for tests and benchmarks: real HTTP
 * (`POST /v1/chat/completions`), a configurable latency, and a log of every call with its
 * step identity (`x-ambit-step-id`) and client (`x-ambit-client`), so suites can count what
 * was paid for: calls per step identity, repeats of an already-answered step, calls in
 * flight at a given moment. The reply is a deterministic function of the last message.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface FakeModelCall {
  readonly stepId: string | undefined;
  readonly client: string | undefined;
  readonly startedAt: number;
  /** When the reply was sent; undefined while the call is in flight (or if the client went away). */
  answeredAt: number | undefined;
}

export interface FakeModelServer {
  /** Base URL for `AMBIT_MODEL_BASE_URL` (ends in /v1). */
  readonly url: string;
  readonly calls: readonly FakeModelCall[];
  /** Calls per step identity. */
  callsPerStep(): Map<string, number>;
  /** Calls per client. */
  callsPerClient(): Map<string, number>;
  /** Calls of a step identity that had already been answered before they started. */
  repeatsOfAnswered(): number;
  /** Calls (of `client`, if given) started before `at` and not answered before it. */
  inFlightAt(at: number, client?: string): number;
  setLatency(ms: number): void;
  /** Makes calls whose last message contains `marker` fail with this HTTP status. */
  failWhen(marker: string, status: number): void;
  close(): Promise<void>;
}

/** The fake's answer to `text`: a label and a score, stable for the same text. */
export function fakeReply(text: string): { label: string; score: number } {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return { label: h % 4 === 0 ? 'flag' : 'ok', score: h % 1000 };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeModelServer(options: { latencyMs?: number; port?: number } = {}): Promise<FakeModelServer> {
  let latency = options.latencyMs ?? 0;
  const failures = new Map<string, number>();
  const calls: FakeModelCall[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const call: FakeModelCall = {
        stepId: req.headers['x-ambit-step-id']?.toString(),
        client: req.headers['x-ambit-client']?.toString(),
        startedAt: Date.now(),
        answeredAt: undefined,
      };
      calls.push(call);
      const request = JSON.parse(await body(req)) as { model?: string; messages?: Array<{ content?: string }> };
      const last = request.messages?.at(-1)?.content ?? '';
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      for (const [marker, status] of failures) {
        if (last.includes(marker)) {
          res
            .writeHead(status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: `fake failure for ${marker}` } }));
          call.answeredAt = Date.now();
          return;
        }
      }
      const reply = fakeReply(last);
      const answer = {
        id: `chatcmpl-${calls.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model ?? 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(reply) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: Math.ceil(last.length / 4), completion_tokens: 12, total_tokens: Math.ceil(last.length / 4) + 12 },
      };
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      call.answeredAt = Date.now();
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const count = (key: (c: FakeModelCall) => string | undefined): Map<string, number> => {
    const m = new Map<string, number>();
    for (const c of calls) {
      const k = key(c);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    callsPerStep: () => count((c) => c.stepId),
    callsPerClient: () => count((c) => c.client),
    repeatsOfAnswered() {
      const firstAnswer = new Map<string, number>();
      let repeats = 0;
      for (const c of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
        if (c.stepId === undefined) continue;
        const answered = firstAnswer.get(c.stepId);
        if (answered !== undefined && answered <= c.startedAt) repeats++;
        if (c.answeredAt !== undefined && (answered === undefined || c.answeredAt < answered)) firstAnswer.set(c.stepId, c.answeredAt);
      }
      return repeats;
    },
    inFlightAt(at, client) {
      return calls.filter(
        (c) => (client === undefined || c.client === client) && c.startedAt <= at && (c.answeredAt === undefined || c.answeredAt >= at),
      ).length;
    },
    setLatency(ms) {
      latency = ms;
    },
    failWhen(marker, status) {
      failures.set(marker, status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
