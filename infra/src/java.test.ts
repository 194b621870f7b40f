import { describe, expect, it } from 'vitest';
import { isAmbitError } from '@ambit/core';
import { findKafkaJava, parseJavaVersion } from './java.ts';

describe('parseJavaVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['openjdk version "21.0.4" 2024-07-16 LTS', 21],
    ['java version "1.8.0_392"', 8],
    ['no version here', undefined],
  ])('%s -> %s', (text, major) => {
    expect(parseJavaVersion(text)).toBe(major);
  });
});

describe('findKafkaJava', () => {
  it('fails with INFRA_JAVA_MISSING naming JAVA_HOME when it has no java', async () => {
    const err = await findKafkaJava({ JAVA_HOME: '/nonexistent-jdk', PATH: '/nonexistent' }).catch((e: unknown) => e);
    expect(isAmbitError(err, 'INFRA_JAVA_MISSING')).toBe(true);
    expect((err as Error).message).toContain('JAVA_HOME=/nonexistent-jdk');
  });

  it('fails naming PATH when neither is set', async () => {
    const err = await findKafkaJava({ PATH: '/nonexistent' }).catch((e: unknown) => e);
    expect(isAmbitError(err, 'INFRA_JAVA_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/`java` on PATH/);
  });
});
