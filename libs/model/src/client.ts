/**
 * A model client for use inside durable steps: OpenAI-compatible chat completions over
 * HTTP (OpenAI, vLLM, Ollama, llama.cpp's server all serve `POST <base>/chat/completions`).
 * Plain `fetch`, no SDK: one request shape, one response shape.
 *
 *   const model = createModelClient(modelConfigFromEnv(process.env));
 *   const verdict = await ctx.step('classify', (s) => model.chat({ messages }, s));
 *
 * Passing the step context sends its identity (`x-ambit-step-id`), aborts on the step's
 * timeout, and books the token usage onto the step (and so onto the record's decisions).
 * Errors: 408, 409, 429, 5xx and transport failures are plain Errors (the step retries them);
 * other 4xx and malformed responses are TerminalErrors (retrying cannot help).
 */
import { TerminalError, type StepContext } from '@ambit/agent-api';

export interface ModelConfig {
  /** e.g. https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM). */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  /** Per-request deadline when no step signal is given (default 60 s). */
  readonly timeoutMs?: number;
  /** Sent as `x-ambit-client`, e.g. the host's instance id. */
  readonly clientId?: string;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Overrides the configured model for this call. */
  readonly model?: string;
}

export interface ChatResult {
  readonly content: string;
  readonly model: string;
  readonly finishReason: string | null;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

export interface ModelClient {
  readonly config: ModelConfig;
  chat(request: ChatRequest, step?: Pick<StepContext, 'stepId' | 'signal' | 'usage'>): Promise<ChatResult>;
}

/** AMBIT_MODEL_BASE_URL (required), AMBIT_MODEL (required), AMBIT_MODEL_API_KEY, AMBIT_MODEL_TIMEOUT_MS, AMBIT_INSTANCE_ID. */
export function modelConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ModelConfig {
  const baseUrl = env.AMBIT_MODEL_BASE_URL?.trim();
  const model = env.AMBIT_MODEL?.trim();
  const problems: string[] = [];
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) problems.push(`AMBIT_MODEL_BASE_URL must be an http(s) URL (got "${baseUrl ?? ''}")`);
  if (!model) problems.push('AMBIT_MODEL must name the model (e.g. gpt-4o-mini, llama3.1)');
  const timeout = env.AMBIT_MODEL_TIMEOUT_MS?.trim();
  if (timeout !== undefined && timeout !== '' && !/^\d+$/.test(timeout))
    problems.push(`AMBIT_MODEL_TIMEOUT_MS must be a positive integer (got "${timeout}")`);
  if (problems.length > 0) throw new Error(`invalid model configuration: ${problems.join('; ')}`);
  return Object.freeze({
    baseUrl: baseUrl!.replace(/\/+$/, ''),
    model: model!,
    ...(env.AMBIT_MODEL_API_KEY ? { apiKey: env.AMBIT_MODEL_API_KEY } : {}),
    ...(timeout ? { timeoutMs: Number(timeout) } : {}),
    ...(env.AMBIT_INSTANCE_ID ? { clientId: env.AMBIT_INSTANCE_ID } : {}),
  });
}

const RETRYABLE = new Set([408, 409, 429]);

export function createModelClient(config: ModelConfig): ModelClient {
  const url = `${config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    config,
    async chat(request, step) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
      if (config.clientId) headers['x-ambit-client'] = config.clientId;
      if (step) headers['x-ambit-step-id'] = step.stepId;
      const body = {
        model: request.model ?? config.model,
        messages: request.messages,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      };
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: step?.signal ?? AbortSignal.timeout(config.timeoutMs ?? 60_000),
        });
      } catch (e) {
        throw new Error(`model request to ${url} failed: ${(e as Error).message}`, { cause: e });
      }
      const text = await res.text();
      if (res.status !== 200) {
        const message = `model ${body.model} answered HTTP ${res.status}: ${text.slice(0, 300)}`;
        if (RETRYABLE.has(res.status) || res.status >= 500) throw new Error(message);
        throw new TerminalError(message, { code: `MODEL_HTTP_${res.status}` });
      }
      let parsed: {
        model?: string;
        choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        throw new TerminalError(`model ${body.model} answered with a body that is not JSON: ${text.slice(0, 200)}`, {
          code: 'MODEL_BAD_RESPONSE',
        });
      }
      const choice = parsed.choices?.[0];
      if (typeof choice?.message?.content !== 'string') {
        throw new TerminalError(`model ${body.model} answered without choices[0].message.content`, { code: 'MODEL_BAD_RESPONSE' });
      }
      const usage = { inputTokens: parsed.usage?.prompt_tokens ?? 0, outputTokens: parsed.usage?.completion_tokens ?? 0 };
      step?.usage(usage);
      return { content: choice.message.content, model: parsed.model ?? body.model, finishReason: choice.finish_reason ?? null, usage };
    },
  };
}
