export { createModelClient, modelConfigFromEnv } from './client.ts';
export type { ChatMessage, ChatRequest, ChatResult, ModelClient, ModelConfig } from './client.ts';
