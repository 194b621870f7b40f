import { describe, expect, it } from 'vitest';
import { TerminalError } from '@ambit/agent-api';
import { isAmbitError } from '@ambit/core';
import { createStep, MemoryStepJournal, type StepRun } from './steps.ts';

const run = (journal = new MemoryStepJournal(), over: Partial<StepRun> = {}): StepRun => ({
  cause: 'in/0/7',
  handler: 'events',
  journal,
  maxEntryBytes: 1_000,
  usage: [],
  ...over,
});

describe('durable steps', () => {
  it('while the process is stalled a step that would call out throws RUNTIME_STALLED (abort) without calling; a journaled one still answers', async () => {
    const journal = new MemoryStepJournal();
    let calls = 0;
    const fn = async () => ++calls;
    expect(await createStep(run(journal))('ask', fn)).toBe(1);
    let stalled = true;
    const step = createStep(run(journal, { mayCall: () => !stalled }));
    expect(await step('ask', fn)).toBe(1); // answered by the journal: no call
    const err = await step('next', fn).catch((e: unknown) => e);
    expect(isAmbitError(err, 'RUNTIME_STALLED') && err.action).toBe('abort');
    expect(calls).toBe(1);
    stalled = false;
    expect(await createStep(run(journal, { mayCall: () => !stalled }))('ask', fn)).toBe(1);
  });

  it('a journaled step is not called again: the re-run gets the same result and usage', async () => {
    const journal = new MemoryStepJournal();
    let calls = 0;
    const first = run(journal);
    const step = createStep(first);
    const fn = async (s: { usage: (u: { inputTokens: number; outputTokens: number }) => void }) => {
      calls++;
      s.usage({ inputTokens: 10, outputTokens: 3 });
      return { label: 'spam', n: calls };
    };
    expect(await step('classify', fn)).toEqual({ label: 'spam', n: 1 });
    expect(await step('classify', fn)).toEqual({ label: 'spam', n: 2 }); // occurrence 1: a new step
    const again = run(journal);
    const replayed = createStep(again);
    expect(await replayed('classify', fn)).toEqual({ label: 'spam', n: 1 });
    expect(await replayed('classify', fn)).toEqual({ label: 'spam', n: 2 });
    expect(calls).toBe(2);
    expect(again.usage).toEqual([
      { inputTokens: 10, outputTokens: 3 },
      { inputTokens: 10, outputTokens: 3 },
    ]);
  });

  it('a different name at a journaled position is a non-determinism error', async () => {
    const journal = new MemoryStepJournal();
    await createStep(run(journal))('classify', () => 1);
    const e = await createStep(run(journal))('summarize', () => 2).catch((x: unknown) => x);
    expect(isAmbitError(e, 'RUNTIME_NON_DETERMINISM')).toBe(true);
    expect((e as Error).message).toContain('is "summarize" now but was "classify"');
  });

  it('retries with backoff, then fails for good: the failure is journaled and re-thrown without calling again', async () => {
    const journal = new MemoryStepJournal();
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('model unavailable');
    };
    const e = await createStep(run(journal))('call', failing, { attempts: 3, backoffMs: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TerminalError);
    expect((e as Error).message).toBe('step call failed after 3 attempt(s): model unavailable');
    expect(calls).toBe(3);
    const again = await createStep(run(journal))('call', failing).catch((x: unknown) => x);
    expect(again).toBeInstanceOf(TerminalError);
    expect(calls).toBe(3);
  });

  it('times out a call per attempt, aborting its signal', async () => {
    let aborted = 0;
    const slow = (s: { signal: AbortSignal }) =>
      new Promise((resolve) => {
        s.signal.addEventListener('abort', () => aborted++);
        setTimeout(resolve, 1_000);
      });
    const e = await createStep(run())('slow', slow, { timeoutMs: 20, attempts: 2, backoffMs: 1 }).catch((x: unknown) => x);
    expect((e as Error).message).toBe('step slow failed after 2 attempt(s): step slow timed out after 20 ms');
    expect(aborted).toBe(2);
  });

  it('results over the entry cap or not JSON-serializable fail at once with a clear error', async () => {
    let calls = 0;
    const big = await createStep(run())('big', () => (calls++, 'x'.repeat(2_000))).catch((x: unknown) => x);
    expect(big).toBeInstanceOf(TerminalError);
    expect((big as TerminalError).code).toBe('RUNTIME_STEP_TOO_LARGE');
    expect((big as Error).message).toContain('2002 bytes of JSON, over the journal entry cap of 1000');
    expect(calls).toBe(1);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = await createStep(run())('cyclic', () => cyclic).catch((x: unknown) => x);
    expect((bad as TerminalError).code).toBe('RUNTIME_STEP_NOT_SERIALIZABLE');
    const fn = await createStep(run())('fn', () => () => 1).catch((x: unknown) => x);
    expect((fn as Error).message).toBe('step fn returned a function, which JSON cannot hold');
  });

  it('a TerminalError is not retried', async () => {
    let calls = 0;
    const e = await createStep(run())('t', () => {
      calls++;
      throw new TerminalError('bad request', { code: 'BAD' });
    }).catch((x: unknown) => x);
    expect((e as TerminalError).code).toBe('BAD');
    expect(calls).toBe(1);
  });
});
