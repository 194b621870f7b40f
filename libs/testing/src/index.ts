export { testPlatform, uniqueName } from './platform.ts';
export type { TestPlatform } from './platform.ts';
export { testClientProfile } from './profile.ts';
export {
  CHANNELS,
  HOST_MAIN,
  HostSlot,
  KillSchedule,
  REPO_ROOT,
  killAllHosts,
  liveHosts,
  mulberry32,
  openTxnRecords,
  parseDiagnosticLine,
  pickVictim,
  spawnHost,
} from './processes.ts';
export type {
  DiagnosticEvent,
  HostExit,
  HostProcess,
  HostSpec,
  KillLogEntry,
  KillScheduleOptions,
  KillTarget,
  KillableProcess,
  TxnEvent,
} from './processes.ts';
export {
  SOURCE_HEADER,
  checkExactlyOnce,
  keyOrderDiff,
  latestByKey,
  produceSteadily,
  readTopicFully,
  sourceOf,
  waitForSettledTransactions,
} from './verify.ts';
export type {
  ExactlyOnceReport,
  Keyed,
  ProduceSteadilyOptions,
  ProduceSteadilyResult,
  ProducedRecord,
  ReadTopicOptions,
  WithHeaders,
} from './verify.ts';
export { freePort } from './ports.ts';
export { fakeReply, startFakeModelServer } from './fake-model.ts';
export type { FakeModelCall, FakeModelServer } from './fake-model.ts';
