export { AmbitError, ErrorCodes, isAmbitError } from './errors.ts';
export type { ErrorAction, ErrorCode } from './errors.ts';
export { consoleLogger, silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export { namespaced, tpKey } from './ids.ts';
export {
  changelogTopic,
  decisionsTopic,
  DLQ_HEADER_PREFIX,
  DlqHeaders,
  dlqTopic,
  effectsTopic,
  groupId,
  Headers,
  inboxTopic,
  inputSource,
  journalTopic,
  topicName,
  transactionalId,
} from './names.ts';
export type { TopicPartition } from './ids.ts';
