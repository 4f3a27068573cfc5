// The generation service's settings: parsed once at boot by config.ts, and by tests and the
// benchmark from their own env.
import { z } from 'zod';
import { commaList, commonEnv, port } from '@llmops/platform';
import { embeddedModelCatalog } from './domain/catalog';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const address = z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port');
const optionalAddress = z.union([z.literal(''), address]).default('');

/** A JSON-valued setting, validated by `schema`. */
const json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const backendName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
const openAiBackend = z
  .object({
    name: backendName,
    baseUrl: z.url(),
    apiKey: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().default(60_000),
    models: z
      .array(
        z
          .object({
            name: z.string().min(1),
            remoteName: z.string().min(1).optional(),
            contextLength: z.number().int().positive().default(8192),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type OpenAiBackendSetting = z.infer<typeof openAiBackend>;

export const configSchema = commonEnv
  .extend({
    HTTP_PORT: port(4002),
    /** GeneratorService (llmops.generation.v1); 0 binds a free port and logs it. */
    GRPC_PORT: port(50052),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string'),
    KAFKA_BROKERS: commaList,
    /** host:port of the prompt registry's gRPC API (RenderPrompt). */
    PROMPT_REGISTRY_ADDRESS: address,
    /** host:port of the retrieval service's gRPC API; empty: augmented prompts are UNAVAILABLE. */
    RETRIEVAL_ADDRESS: optionalAddress,
    /** host:port of the encoder's gRPC API, for pipelines' embedding nodes; empty: none. */
    ENCODER_ADDRESS: optionalAddress,
    /** Folder filled by scripts/models/fetch.sh. */
    MODEL_DIR: z.string().min(1),
    /** Catalog name of the embedded (in-process, CPU) model; its backend is named "embedded". */
    GENERATION_EMBEDDED_MODEL: z.enum(Object.keys(embeddedModelCatalog) as [keyof typeof embeddedModelCatalog]).default('smollm2-135m-instruct'),
    /** CPU threads of the embedded model. Keep at or below the free cores: oversubscribed, decoding crawls. */
    GENERATION_THREADS: positiveInt(1),
    /** Tokens (prompt + completion) per embedded sequence. */
    GENERATION_CONTEXT_SIZE: positiveInt(2048),
    /** Embedded requests generated concurrently (sequences decoded in shared batches). */
    GENERATION_SEQUENCES: positiveInt(4),
    /** Embedded requests that may wait for a sequence; beyond, requests are UNAVAILABLE (or go to the fallback). */
    GENERATION_MAX_QUEUE: z.coerce.number().int().min(0).default(64),
    /** One OpenAI-compatible server (vLLM, TGI, a hosted API): its base URL, e.g. http://vllm:8000/v1. */
    GENERATION_BACKEND_URL: z.url().optional(),
    /** Comma-separated model names that server serves (routed to it by these names). */
    GENERATION_BACKEND_MODEL: commaList.optional(),
    GENERATION_BACKEND_API_KEY: z.string().min(1).optional(),
    GENERATION_BACKEND_TIMEOUT_MS: positiveInt(60_000),
    GENERATION_BACKEND_CONTEXT_LENGTH: positiveInt(8192),
    /**
     * More OpenAI-compatible servers, JSON: [{"name":"hosted","baseUrl":"https://api.example.com/v1",
     * "apiKey":"...","timeoutMs":60000,"models":[{"name":"big","remoteName":"vendor/big-model","contextLength":32768}]}].
     */
    GENERATION_OPENAI_BACKENDS: json(z.array(openAiBackend)).default([]),
    /** The model of requests and prompt versions that name none (default: the first remote model, else the embedded one). */
    GENERATION_DEFAULT_MODEL: z.string().min(1).optional(),
    /** The backend that answers when the routed one is unavailable; "none" turns fallback off. */
    GENERATION_FALLBACK_BACKEND: z.string().min(1).default('embedded'),
    /** Largest max tokens a request may ask for, and the default when neither request nor version sets one. */
    GENERATION_MAX_TOKENS: positiveInt(1024),
    GENERATION_DEFAULT_MAX_TOKENS: positiveInt(256),
    GENERATION_DEFAULT_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
    /** Deadline of one call, rendering and queueing included. */
    GENERATION_TIMEOUT_MS: positiveInt(120_000),
    /** Deadline of one pipeline run. */
    PIPELINE_TIMEOUT_MS: positiveInt(300_000),
    /** Sessions: the newest messages put before a prompt, at most this many and within this many tokens. */
    SESSION_WINDOW_MESSAGES: positiveInt(20),
    SESSION_TOKEN_BUDGET: positiveInt(1024),
    /**
     * Tokens (prompt + completion) a project may use per UTC day unless an admin set its own budget
     * (setTokenBudget); 0: no default budget.
     */
    GENERATION_PROJECT_TOKENS_PER_DAY: z.coerce.number().int().nonnegative().default(0),
  })
  .superRefine((c, ctx) => {
    if (c.GENERATION_BACKEND_URL && !c.GENERATION_BACKEND_MODEL) {
      ctx.addIssue({ code: 'custom', path: ['GENERATION_BACKEND_MODEL'], message: 'required when GENERATION_BACKEND_URL is set' });
    }
    const names = ['embedded', ...(c.GENERATION_BACKEND_URL ? ['openai'] : []), ...c.GENERATION_OPENAI_BACKENDS.map((b) => b.name)];
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['GENERATION_OPENAI_BACKENDS'], message: `backend names must be unique (embedded and openai are taken)` });
    }
    if (c.GENERATION_FALLBACK_BACKEND !== 'none' && !names.includes(c.GENERATION_FALLBACK_BACKEND)) {
      ctx.addIssue({ code: 'custom', path: ['GENERATION_FALLBACK_BACKEND'], message: `must be none or one of: ${names.join(', ')}` });
    }
    if (c.GENERATION_DEFAULT_MAX_TOKENS > c.GENERATION_MAX_TOKENS) {
      ctx.addIssue({ code: 'custom', path: ['GENERATION_DEFAULT_MAX_TOKENS'], message: 'must not exceed GENERATION_MAX_TOKENS' });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Every OpenAI-compatible backend the settings describe (the single-server form is named "openai"). */
export function openAiBackends(c: Config): OpenAiBackendSetting[] {
  const single: OpenAiBackendSetting[] =
    c.GENERATION_BACKEND_URL && c.GENERATION_BACKEND_MODEL
      ? [
          {
            name: 'openai',
            baseUrl: c.GENERATION_BACKEND_URL,
            apiKey: c.GENERATION_BACKEND_API_KEY,
            timeoutMs: c.GENERATION_BACKEND_TIMEOUT_MS,
            models: c.GENERATION_BACKEND_MODEL.map((name) => ({ name, contextLength: c.GENERATION_BACKEND_CONTEXT_LENGTH })),
          },
        ]
      : [];
  return [...single, ...c.GENERATION_OPENAI_BACKENDS];
}
