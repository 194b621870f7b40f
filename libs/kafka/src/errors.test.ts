import { describe, expect, it } from 'vitest';
import { AmbitError } from '@ambit/core';
import { classify, RdCodes, translateKafkaError } from './errors.ts';

describe('Kafka error translation', () => {
  it.each([
    [{ code: RdCodes.ILLEGAL_GENERATION, isTxnRequiresAbort: true }, 'KAFKA_STALE_GENERATION', 'rejoin'],
    [{ code: RdCodes.UNKNOWN_MEMBER_ID, isTxnRequiresAbort: true }, 'KAFKA_STALE_GENERATION', 'rejoin'],
    [{ code: RdCodes.FENCED_INSTANCE_ID }, 'KAFKA_STALE_GENERATION', 'rejoin'],
    [{ code: RdCodes.PRODUCER_FENCED, isFatal: true }, 'KAFKA_FENCED', 'rejoin'],
    [{ code: RdCodes.FENCED, isFatal: true }, 'KAFKA_FENCED', 'rejoin'],
    [{ code: RdCodes.INVALID_PRODUCER_EPOCH }, 'KAFKA_FENCED', 'rejoin'],
    [{ code: RdCodes.STATE, isFatal: true }, 'KAFKA_FATAL', 'recreate'],
    [{ code: 1, isTxnRequiresAbort: true }, 'KAFKA_TXN_ABORTABLE', 'abort'],
    [{ code: RdCodes.REBALANCE_IN_PROGRESS }, 'KAFKA_REBALANCE_IN_PROGRESS', 'abort'],
    [{ code: RdCodes.TIMED_OUT, isRetriable: true }, 'KAFKA_TIMEOUT', 'retry'],
    [{ code: RdCodes.ALL_BROKERS_DOWN }, 'KAFKA_BROKER_UNAVAILABLE', 'retry'],
    [{ code: RdCodes.COORDINATOR_NOT_AVAILABLE, isRetriable: true }, 'KAFKA_RETRIABLE', 'retry'],
    [{ code: 12345, isRetriable: true }, 'KAFKA_RETRIABLE', 'retry'],
    [{ code: RdCodes.UNKNOWN_TOPIC_OR_PART }, 'KAFKA_TOPIC_NOT_FOUND', 'fail'],
    [
      { name: 'KafkaJSConnectionError', message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1' },
      'KAFKA_BROKER_UNAVAILABLE',
      'retry',
    ],
    [{ message: 'something odd' }, 'KAFKA_UNKNOWN', 'fail'],
  ] as const)('%j -> %s (%s)', (foreign, code, action) => {
    expect(classify(foreign)).toBe(code);
    const e = translateKafkaError(Object.assign(new Error('x'), foreign), 'op');
    expect(e).toBeInstanceOf(AmbitError);
    expect(e.code).toBe(code);
    expect(e.action).toBe(action);
    expect(e.message.startsWith('op: ')).toBe(true);
  });

  it('keeps an AmbitError as it is', () => {
    const original = new AmbitError('KAFKA_TOPIC_DRIFT', 'drift');
    expect(translateKafkaError(original, 'op')).toBe(original);
  });
});
