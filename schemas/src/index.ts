export { AVRO_DIR, SCHEMAS_ROOT, listSchemas, loadSchema } from './schema-files.ts';
export type { LoadedSchema } from './schema-files.ts';
export { TOPICS_FILE, loadTopics, parseTopics } from './topics.ts';
export type { AgentDeclaration, CleanupPolicy, DeclaredTopic, LoadTopicsOptions } from './topics.ts';
// Record types generated from avro/*.avsc (`pnpm codegen`); the list changes with the schemas.
export type * from './generated/index.ts';
