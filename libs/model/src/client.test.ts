import { afterEach, describe, expect, it } from 'vitest';
import { TerminalError } from '@ambit/agent-api';
import { fakeReply, startFakeModelServer, type FakeModelServer } from '@ambit/testing';
import { createModelClient, modelConfigFromEnv } from './client.ts';

let server: FakeModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('model client (against the fake OpenAI-compatible server)', () => {
  it('sends a chat completion with the step id and client, returns content and books usage on the step', async () => {
    server = await startFakeModelServer({ latencyMs: 5 });
    const model = createModelClient(
      modelConfigFromEnv({ AMBIT_MODEL_BASE_URL: server.url, AMBIT_MODEL: 'fake-1', AMBIT_INSTANCE_ID: 'host-3' }),
    );
    const usage: Array<{ inputTokens: number; outputTokens: number }> = [];
    const step = {
      stepId: 'in/0/1#h#0#classify',
      signal: new AbortController().signal,
      usage: (u: (typeof usage)[number]) => void usage.push(u),
    };
    const r = await model.chat({ messages: [{ role: 'user', content: 'is this spam?' }] }, step);
    expect(JSON.parse(r.content)).toEqual(fakeReply('is this spam?'));
    expect(r.model).toBe('fake-1');
    expect(usage).toEqual([{ inputTokens: 4, outputTokens: 12 }]);
    expect(server.callsPerStep()).toEqual(new Map([['in/0/1#h#0#classify', 1]]));
    expect(server.callsPerClient()).toEqual(new Map([['host-3', 1]]));
  });

  it('a 5xx or 429 is a retryable Error, a 400 a TerminalError', async () => {
    server = await startFakeModelServer();
    server.failWhen('overloaded', 503);
    server.failWhen('bad', 400);
    const model = createModelClient({ baseUrl: server.url, model: 'fake' });
    const e1 = await model.chat({ messages: [{ role: 'user', content: 'overloaded' }] }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(Error);
    expect(e1).not.toBeInstanceOf(TerminalError);
    expect((e1 as Error).message).toContain('HTTP 503');
    const e2 = await model.chat({ messages: [{ role: 'user', content: 'bad' }] }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(TerminalError);
    expect((e2 as TerminalError).code).toBe('MODEL_HTTP_400');
  });

  it('counts repeats of an already-answered step and calls in flight', async () => {
    server = await startFakeModelServer({ latencyMs: 30 });
    const model = createModelClient({ baseUrl: server.url, model: 'fake', clientId: 'c' });
    const step = (id: string) => ({ stepId: id, signal: new AbortController().signal, usage: () => undefined });
    await Promise.all([
      model.chat({ messages: [{ role: 'user', content: 'a' }] }, step('s1')),
      model.chat({ messages: [{ role: 'user', content: 'b' }] }, step('s2')),
    ]);
    const bothStarted = Math.max(...server.calls.map((c) => c.startedAt));
    expect(server.inFlightAt(bothStarted, 'c')).toBe(2);
    expect(server.inFlightAt(bothStarted, 'other')).toBe(0);
    await model.chat({ messages: [{ role: 'user', content: 'a' }] }, step('s1'));
    expect(server.repeatsOfAnswered()).toBe(1);
  });

  it('rejects a configuration without a base URL or model, naming the variables', () => {
    expect(() => modelConfigFromEnv({})).toThrow(
      'invalid model configuration: AMBIT_MODEL_BASE_URL must be an http(s) URL (got ""); AMBIT_MODEL must name the model (e.g. gpt-4o-mini, llama3.1)',
    );
  });
});
