/** Names live in @ambit/core (below the CLI and schemas); re-exported so runtime files keep their imports. */
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
} from '@ambit/core';
