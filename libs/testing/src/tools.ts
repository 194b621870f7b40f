/**
 * The parts of @ambit/testing that need no vitest (benchmarks and scripts import these;
 * the package root also exports the vitest-bound platform helpers).
 */
export { fakeReply, startFakeModelServer } from './fake-model.ts';
export type { FakeModelCall, FakeModelServer } from './fake-model.ts';
export { mulberry32, onLines, Ring } from './processes.ts';
export { checkExactlyOnce, keyOrderDiff, latestByKey, readTopicFully } from './verify.ts';
