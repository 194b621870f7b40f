import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '@ambit/kafka';
import { planRedrive } from './dlq.ts';

const dead = (headers: Record<string, string>, over: Partial<ConsumedRecord> = {}): ConsumedRecord => ({
  topic: 'dev.moderator.dlq',
  partition: 2,
  offset: 41,
  key: 'u1',
  keyBytes: null,
  value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
  timestamp: 1,
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  ...over,
});

const fromInput = {
  trace: 'abc',
  'ambit-source': 'content.submitted/2/17',
  'ambit-agent': 'moderator',
  'ambit-agent-version': '1.0.0',
  'ambit-dlq-cause': 'boom',
  'ambit-dlq-code': 'HANDLER_FAILED',
  'ambit-dlq-attempts': '3',
};

describe('planRedrive', () => {
  it('sends the original bytes, key and headers back to the namespaced input topic, marked with where it came from', () => {
    const plan = planRedrive(dead(fromInput), 'dev', new Set());
    expect(plan.action).toBe('redrive');
    if (plan.action !== 'redrive') return;
    expect(plan.record.topic).toBe('dev.content.submitted');
    expect(plan.record.key).toBe('u1');
    expect(plan.record.value).toEqual(Buffer.from([0, 0, 0, 0, 7, 1, 2]));
    expect(Object.fromEntries(Object.entries(plan.record.headers ?? {}).map(([k, v]) => [k, v.toString()]))).toEqual({
      trace: 'abc',
      'ambit-redriven-from': 'dev.moderator.dlq/2/41',
    });
    expect(plan).toMatchObject({ code: 'HANDLER_FAILED', source: 'content.submitted/2/17' });
  });

  it('passes over records of other codes, timer firings and records without a source', () => {
    expect(planRedrive(dead(fromInput), 'dev', new Set(['SERDE_BAD_BYTES']))).toMatchObject({
      action: 'skip',
      why: 'code HANDLER_FAILED not selected',
    });
    expect(planRedrive(dead({ ...fromInput, 'ambit-source': 'timer/2/u1/remind/1700000000000' }), 'dev', new Set())).toMatchObject({
      action: 'skip',
      why: 'a timer firing has no input topic',
    });
    expect(planRedrive(dead({ 'ambit-dlq-code': 'X' }), 'dev', new Set())).toMatchObject({
      action: 'skip',
      why: 'no input source (header missing)',
    });
  });
});
