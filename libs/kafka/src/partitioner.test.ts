import { describe, expect, it } from 'vitest';
import { murmur2, partitionFor } from './partitioner.ts';

// Values printed by Kafka's own org.apache.kafka.common.utils.Utils (kafka-clients 4.1.1).
const javaVectors: Array<[string, number, number]> = [
  ['21', -973932308, 0],
  ['foobar', -790332482, 0],
  ['a-little-bit-long-string', -985981536, 2],
  ['a-little-bit-longer-string', -1486304829, 5],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 5],
  ['abc', 479470107, 3],
  ['user-42', 1459644460, 4],
  ['ünïcødé', 2147241326, 2],
];

describe('Java-compatible partitioner', () => {
  it.each(javaVectors)('murmur2(%j) matches Kafka Utils.murmur2 and partition over 6', (key, hash, partition) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash);
    expect(partitionFor(key, 6)).toBe(partition);
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionFor('k', 0)).toThrow(RangeError);
  });
});
