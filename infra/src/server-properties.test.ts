import { describe, expect, it } from 'vitest';
import { brokerProperties, renderProperties, TEST_BROKER_PROPERTIES } from './server-properties.ts';

const base = { host: '127.0.0.1', port: 29092, controllerPort: 29093, logDir: '/data/kafka' } as const;

describe('brokerProperties', () => {
  it('describes a single-node KRaft cluster with transactions on loopback', () => {
    const p = brokerProperties({ ...base, profile: 'dev' });
    expect(p).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:29093',
      listeners: 'PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:29092',
      'log.dirs': '/data/kafka',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'offsets.topic.replication.factor': '1',
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': '0',
    });
    expect(p['group.min.session.timeout.ms']).toBeUndefined();
  });

  it('adds the short test timeouts only in the test profile', () => {
    const p = brokerProperties({ ...base, profile: 'test' });
    expect(p).toMatchObject(TEST_BROKER_PROPERTIES);
    expect(p['group.min.session.timeout.ms']).toBe('1000');
    expect(p['transaction.abort.timed.out.transaction.cleanup.interval.ms']).toBe('1000');
    // KIP-848 requires heartbeat < session and each within its min.
    expect(Number(p['group.consumer.heartbeat.interval.ms'])).toBeLessThan(Number(p['group.consumer.session.timeout.ms']));
    expect(Number(p['group.consumer.min.session.timeout.ms'])).toBeLessThanOrEqual(Number(p['group.consumer.session.timeout.ms']));
  });

  it('applies overrides last', () => {
    const p = brokerProperties({ ...base, profile: 'test', overrides: { 'num.io.threads': '8', 'x.y': 'z' } });
    expect(p['num.io.threads']).toBe('8');
    expect(p['x.y']).toBe('z');
  });
});

describe('renderProperties', () => {
  it('writes key=value lines under a comment header', () => {
    expect(renderProperties({ a: '1', 'b.c': 'x y' }, 'line one\nline two')).toBe('# line one\n# line two\na=1\nb.c=x y\n');
  });

  it('escapes backslashes and newlines so a Windows path or odd value survives', () => {
    expect(renderProperties({ 'log.dirs': 'C:\\data\\kafka', v: 'a\nb', k: ' lead' })).toBe(
      'log.dirs=C:\\\\data\\\\kafka\nv=a\\nb\nk=\\ lead\n',
    );
  });
});
