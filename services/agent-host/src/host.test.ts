import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '@ambit/agent-api';
import { AmbitError, silentLogger } from '@ambit/core';
import { DIAGNOSTIC_CHANNELS, type RunningAgent } from '@ambit/runtime';
import { EXIT, runHost, type HostIo } from './host.ts';

const fakeAgent = { name: 'fake', version: '1', inputs: {}, stores: {}, handlers: {} } as unknown as AgentDefinition;
const env = { AMBIT_INSTANCE_ID: 'h1', AMBIT_STATE_DIR: '/tmp/h1' };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function harness(over: Partial<HostIo> = {}) {
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  const io: HostIo = {
    argv: ['--module', 'agent.ts'],
    env,
    cwd: '/tmp',
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    onSignal: (s, fn) => void signals.on(s, fn),
    offSignal: (s, fn) => void signals.off(s, fn),
    load: async () => fakeAgent,
    logger: () => silentLogger,
    ...over,
  };
  return { io, signals, out, err };
}

/** A running agent whose `stopped` the test settles; `stop()` settles it after `stopDelay`. */
function fakeRunning(options: { stopFails?: boolean; stopHangs?: boolean } = {}) {
  const stopped = deferred();
  const calls: string[] = [];
  const running: RunningAgent = {
    stopped: stopped.promise,
    async stop() {
      calls.push('stop');
      if (options.stopHangs) return new Promise<void>(() => {});
      if (options.stopFails) throw new AmbitError('KAFKA_TIMEOUT', 'commit timed out');
      stopped.resolve();
    },
    status: () => ({
      agent: 'fake',
      joined: true,
      tasks: [],
      ready: true,
      lastLoopAt: Date.now(),
      lastCommitAt: 0,
      txnOpenSince: undefined,
      stopping: false,
    }),
  };
  return { running, stopped, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('runHost', () => {
  it('exits 2 on bad configuration, before loading anything', async () => {
    const h = harness({ env: {} });
    expect(await runHost(h.io)).toBe(EXIT.CONFIG);
    expect(h.err).toEqual([expect.stringMatching(/^error \[CONFIG_INVALID\]: AMBIT_INSTANCE_ID is required/)]);
  });

  it('exits 2 when the agent module cannot be loaded', async () => {
    const h = harness({
      load: async () => {
        throw new AmbitError('CONFIG_INVALID', 'cannot load agent module agent.ts: no such file');
      },
    });
    expect(await runHost(h.io)).toBe(EXIT.CONFIG);
    expect(h.err).toEqual(['error [CONFIG_INVALID]: cannot load agent module agent.ts: no such file']);
    expect(h.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 2 when the runtime rejects the configuration', async () => {
    const h = harness({ env: { ...env, AMBIT_COMMIT_INTERVAL_MS: '20000', AMBIT_TRANSACTION_TIMEOUT_MS: '10000' } });
    expect(await runHost(h.io)).toBe(EXIT.CONFIG);
    expect(h.err[0]).toMatch(/^error \[CONFIG_INVALID\]: invalid runtime configuration: commitIntervalMs must be below/);
  });

  it('exits 1 with the code when startAgent fails', async () => {
    const h = harness({
      start: async () => {
        throw new AmbitError('KAFKA_TOPIC_NOT_FOUND', 'topics missing: dev.content.submitted');
      },
    });
    expect(await runHost(h.io)).toBe(EXIT.FAILED);
    expect(h.err).toEqual(['error [KAFKA_TOPIC_NOT_FOUND]: topics missing: dev.content.submitted']);
  });

  it('stops gracefully on SIGTERM and exits 0', async () => {
    const f = fakeRunning();
    const h = harness({ start: async () => f.running });
    const code = runHost(h.io);
    await tick();
    h.signals.emit('SIGTERM');
    expect(await code).toBe(EXIT.OK);
    expect(f.calls).toEqual(['stop']);
    expect(h.err).toEqual([]);
    expect(h.signals.listenerCount('SIGTERM') + h.signals.listenerCount('SIGINT')).toBe(0);
  });

  it('stops after start when the signal came during start', async () => {
    const f = fakeRunning();
    const started = deferred<RunningAgent>();
    const h = harness({ start: () => started.promise });
    const code = runHost(h.io);
    await tick();
    h.signals.emit('SIGINT');
    started.resolve(f.running);
    expect(await code).toBe(EXIT.OK);
    expect(f.calls).toEqual(['stop']);
  });

  it('exits 1 when the runtime stops with an error', async () => {
    const f = fakeRunning();
    const h = harness({ start: async () => f.running });
    const code = runHost(h.io);
    await tick();
    f.stopped.reject(new AmbitError('KAFKA_FATAL', 'producer fenced twice'));
    expect(await code).toBe(EXIT.FAILED);
    expect(h.err).toEqual(['error [KAFKA_FATAL]: producer fenced twice']);
  });

  it('exits 1 when the graceful stop fails, outlives its deadline or is cut short', async () => {
    const failing = fakeRunning({ stopFails: true });
    const h1 = harness({ start: async () => failing.running });
    const c1 = runHost(h1.io);
    await tick();
    h1.signals.emit('SIGTERM');
    expect(await c1).toBe(EXIT.FAILED);
    expect(h1.err).toEqual(['error [KAFKA_TIMEOUT]: commit timed out']);

    const hanging = fakeRunning({ stopHangs: true });
    const h2 = harness({ start: async () => hanging.running, env: { ...env, AMBIT_STOP_TIMEOUT_MS: '50' } });
    const c2 = runHost(h2.io);
    await tick();
    h2.signals.emit('SIGTERM');
    expect(await c2).toBe(EXIT.FAILED);
    expect(h2.err[0]).toMatch(/graceful stop did not finish within 50 ms/);

    const cut = fakeRunning({ stopHangs: true });
    const h3 = harness({ start: async () => cut.running });
    const c3 = runHost(h3.io);
    await tick();
    h3.signals.emit('SIGTERM');
    await tick();
    h3.signals.emit('SIGTERM');
    expect(await c3).toBe(EXIT.FAILED);
    expect(h3.err[0]).toMatch(/second signal during stop/);
  });

  it('writes runtime diagnostics to stdout when asked', async () => {
    const f = fakeRunning();
    const h = harness({
      env: { ...env, AMBIT_DIAGNOSTICS: 'stdout' },
      start: async () => {
        diagnostics.channel(DIAGNOSTIC_CHANNELS.txn).publish({ event: 'begin', records: 0, tasks: [] });
        return f.running;
      },
    });
    const code = runHost(h.io);
    await tick();
    diagnostics.channel(DIAGNOSTIC_CHANNELS.task).publish({ task: 3, state: 'RUNNING' });
    h.signals.emit('SIGTERM');
    expect(await code).toBe(EXIT.OK);
    diagnostics.channel(DIAGNOSTIC_CHANNELS.task).publish({ task: 3, state: 'CLOSED' }); // after exit: not written
    expect(h.out.map((l) => JSON.parse(l))).toEqual([
      { ch: 'ambit:runtime:txn', t: expect.any(Number), event: 'begin', records: 0, tasks: [] },
      { ch: 'ambit:runtime:task', t: expect.any(Number), task: 3, state: 'RUNNING' },
    ]);
  });
});
