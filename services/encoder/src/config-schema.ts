// The encoder's settings: parsed once at boot by config.ts, and by tests and the CLI from their own env.
import { join } from 'node:path';
import { z } from 'zod';
import { booleanFlag, commaList, commonEnv, port } from '@llmops/platform';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const tower = z.object({
  model: z.string().min(1),
  prefix: z.string().optional(),
  adapter: z.string().min(1).optional(),
});
const doubleTowers = z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), query: tower, document: tower }).strict());

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

export const configSchema = commonEnv
  .extend({
    HTTP_PORT: port(4003),
    /** EncoderService (llmops.encoder.v1); 0 binds a free port and logs it. */
    GRPC_PORT: port(50053),
    /** Folder filled by scripts/models/fetch.sh. */
    MODEL_DIR: z.string().min(1),
    /** Comma-separated catalog names served as single-tower models; the first is the default. */
    ENCODER_MODELS: commaList.default(['all-minilm-l6-v2-q']),
    /**
     * Double-tower models, JSON: [{"name":"scifact-minilm","query":{"model":"all-minilm-l6-v2-q",
     * "adapter":"scifact-minilm"},"document":{"model":"all-minilm-l6-v2-q"}}]. A tower takes a
     * catalog model, an optional prefix (default: the model's own) and an optional adapter
     * ("name" = newest version, "name@2" = that version).
     */
    ENCODER_DOUBLE_TOWERS: json(doubleTowers).default([]),
    /** Which configured model serves requests that name none (default: the first). */
    ENCODER_DEFAULT_MODEL: z.string().min(1).optional(),
    /** onnx: in-process onnxruntime; openai: a remote OpenAI-compatible /v1/embeddings (TEI, vLLM). */
    ENCODER_BACKEND: z.enum(['onnx', 'openai']).default('onnx'),
    ENCODER_BACKEND_URL: z.url().optional(),
    ENCODER_BACKEND_API_KEY: z.string().min(1).optional(),
    /** The remote server's model name (default: the catalog's Hugging Face name of each model). */
    ENCODER_BACKEND_MODEL: z.string().min(1).optional(),
    ENCODER_BACKEND_TIMEOUT_MS: positiveInt(30_000),
    /** onnxruntime intra-op threads of each copy of a graph (ENCODER_ONNX_WORKERS). */
    ENCODER_ONNX_THREADS: positiveInt(1),
    /**
     * Let onnxruntime's intra-op threads spin-wait for the next operator. Off by default: spinning
     * keeps cores busy after every model run, which the processes sharing them (Elasticsearch, the
     * retrieval service) pay for in latency.
     */
    ENCODER_ONNX_SPIN: booleanFlag(false),
    /**
     * Copies of each ONNX graph, each on a worker thread of its own, running batches side by side:
     * the service keeps reading requests (and tokenizing the next batch) while the models run.
     * 0: one copy on the event loop's thread, which a run then holds. Copies x threads should not
     * exceed the cores the encoder may use.
     */
    ENCODER_ONNX_WORKERS: z.coerce.number().int().min(0).max(64).default(2),
    ENCODER_MAX_BATCH_SIZE: positiveInt(64),
    /**
     * Padded tokens (rows x longest input) per model run: 2,048 is 16 texts of 128 tokens or 8 of
     * 256. On one intra-op thread, runs of that size embedded faster per text than runs of 32 or 64
     * texts (bench:embedding, bench:ingestion: raw encoder 49-51 against 40-42 documents/s).
     */
    ENCODER_MAX_BATCH_TOKENS: positiveInt(2_048),
    ENCODER_BATCH_WAIT_MS: z.coerce.number().min(0).max(1000).default(2),
    /** Model runs at once per base model (default: ENCODER_ONNX_WORKERS for onnx, at least 1; 1 for openai). */
    ENCODER_MAX_CONCURRENT_BATCHES: z.coerce.number().int().positive().optional(),
    ENCODER_MAX_TEXTS: positiveInt(256),
    ENCODER_MAX_TEXT_BYTES: positiveInt(32_768),
    /** Versioned query adapters (default: MODEL_DIR/adapters). */
    ENCODER_ADAPTER_DIR: z.string().min(1).optional(),
    /** Folder of BEIR-format data sets that adapters may be trained on (none: training is refused). */
    ENCODER_DATASET_DIR: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.ENCODER_BACKEND === 'openai' && !c.ENCODER_BACKEND_URL) {
      ctx.addIssue({ code: 'custom', path: ['ENCODER_BACKEND_URL'], message: 'required when ENCODER_BACKEND=openai' });
    }
  })
  .transform((c) => ({
    ...c,
    ENCODER_ADAPTER_DIR: c.ENCODER_ADAPTER_DIR ?? join(c.MODEL_DIR, 'adapters'),
    ENCODER_MAX_CONCURRENT_BATCHES: c.ENCODER_MAX_CONCURRENT_BATCHES ?? (c.ENCODER_BACKEND === 'onnx' ? Math.max(1, c.ENCODER_ONNX_WORKERS) : 1),
  }));

export type Config = z.infer<typeof configSchema>;
