export { AVRO_DIR, SCHEMAS_ROOT, listSchemas, loadSchema } from './schema-files.ts';
export type { LoadedSchema } from './schema-files.ts';
export { agentTopicSpecs, declaredTopics, loadAgentTopics, loadTopics, parseTopics } from './topics.ts';
export type { AgentTopicsOptions, DeclaredTopic, LoadTopicsOptions } from './topics.ts';
export { parseTopicsFile, readTopicsFile, TOPICS_FILE } from './topics-file.ts';
export type { AgentDeclaration, CleanupPolicy, EnvironmentDeclaration, TopicDeclaration, TopicsFile } from './topics-file.ts';
export { checkTopicConfig, KNOWN_TOPIC_CONFIGS } from './topic-configs.ts';
// Record types generated from avro/*.avsc (`pnpm codegen`); the list changes with the schemas.
export type * from './generated/index.ts';
