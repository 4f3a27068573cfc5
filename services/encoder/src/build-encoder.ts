// Builds the embedding service from configuration: model files checked, base models loaded once
// (shared by every tower that uses them), adapters loaded. Shared by main.ts, the CLI and tests.
import { join } from 'node:path';
import { requireModelFile, type CommonConfig } from '@llmops/platform';
import type { Config } from './config-schema';
import { catalogModel } from './domain/catalog';
import { LinearQueryAdapter } from './domain/adapter-model';
import { baseModelsOf, planEmbeddingModels, type EmbeddingModel, type EmbeddingModelConfig, type Tower } from './domain/embedding-model';
import { EmbeddingService, type EmbeddingObserver } from './domain/embedding-service';
import type { BatchStats } from './domain/micro-batcher';
import { ModelRunner } from './domain/model-runner';
import type { AdapterStore, EmbeddingBackend } from './domain/ports';
import { OnnxEmbeddingBackend } from './adapters/embedding-backend.onnx';
import { OpenAiEmbeddingBackend } from './adapters/embedding-backend.openai';
import { FsAdapterStore } from './adapters/adapter-store.fs';
import { HfTokenizerAdapter } from './adapters/tokenizer.hf';

export type EncoderSettings = Omit<Config, keyof CommonConfig | 'GRPC_PORT'>;

export interface BuiltEncoder {
  embeddings: EmbeddingService;
  adapters: AdapterStore;
  runners: ModelRunner[];
  /** Adapters that towers follow by name but that have no trained version yet (identity until trained). */
  pendingAdapters: string[];
  close(): Promise<void>;
}

export interface BuildHooks {
  observer?: EmbeddingObserver;
  onBatch?: (model: string, stats: BatchStats) => void;
}

export async function buildEncoder(config: EncoderSettings, hooks: BuildHooks = {}): Promise<BuiltEncoder> {
  const plan = planEmbeddingModels(config.ENCODER_MODELS, config.ENCODER_DOUBLE_TOWERS, config.ENCODER_DEFAULT_MODEL);
  const runners = new Map<string, ModelRunner>();
  try {
    for (const name of baseModelsOf(plan)) {
      const spec = catalogModel(name, 'ENCODER_MODELS');
      const folder = join(config.MODEL_DIR, spec.folder);
      const tokenizer = new HfTokenizerAdapter(requireModelFile(join(folder, 'tokenizer.json')));
      const backend: EmbeddingBackend =
        config.ENCODER_BACKEND === 'openai'
          ? new OpenAiEmbeddingBackend(spec, {
              baseUrl: config.ENCODER_BACKEND_URL!,
              apiKey: config.ENCODER_BACKEND_API_KEY,
              timeoutMs: config.ENCODER_BACKEND_TIMEOUT_MS,
              model: config.ENCODER_BACKEND_MODEL,
            })
          : await OnnxEmbeddingBackend.load(spec, requireModelFile(join(folder, 'model.onnx')), {
              intraOpThreads: config.ENCODER_ONNX_THREADS,
              spin: config.ENCODER_ONNX_SPIN,
              workers: config.ENCODER_ONNX_WORKERS,
            });
      const limits = {
        maxBatchSize: config.ENCODER_MAX_BATCH_SIZE,
        maxBatchTokens: config.ENCODER_MAX_BATCH_TOKENS,
        maxWaitMs: config.ENCODER_BATCH_WAIT_MS,
        maxConcurrentBatches: config.ENCODER_MAX_CONCURRENT_BATCHES,
      };
      runners.set(name, new ModelRunner(spec, tokenizer, backend, limits, hooks.onBatch));
    }
    const adapters = new FsAdapterStore(config.ENCODER_ADAPTER_DIR);
    const models = await Promise.all(plan.map((p) => assemble(p, runners, adapters)));
    const embeddings = new EmbeddingService(models, { maxTexts: config.ENCODER_MAX_TEXTS, maxTextBytes: config.ENCODER_MAX_TEXT_BYTES }, hooks.observer);
    return {
      embeddings,
      adapters,
      runners: [...runners.values()],
      pendingAdapters: models.flatMap((m) =>
        [m.query, m.document].flatMap((t) => (t.adapterRef && !t.adapter ? [`${m.name}: ${t.adapterRef.name}`] : [])),
      ),
      close: async () => {
        await Promise.all([...runners.values()].map((r) => r.close()));
      },
    };
  } catch (err) {
    await Promise.all([...runners.values()].map((r) => r.close()));
    throw err;
  }
}

async function assemble(plan: EmbeddingModelConfig, runners: Map<string, ModelRunner>, store: AdapterStore): Promise<EmbeddingModel> {
  const tower = async (side: 'query' | 'document'): Promise<Tower> => {
    const t = plan[side];
    const runner = runners.get(t.model)!;
    let adapter: LinearQueryAdapter | null = null;
    if (t.adapter) {
      const ref = `${t.adapter.name}${t.adapter.version ? `@${t.adapter.version}` : ''}`;
      const loaded = await store.load(t.adapter.name, t.adapter.version);
      // A pinned version must exist; an unpinned name may be trained after start (it is served from then on).
      if (!loaded && t.adapter.version !== null) throw new Error(`ENCODER_DOUBLE_TOWERS[${plan.name}].${side}.adapter: ${ref} not found`);
      if (loaded) {
        if (loaded.manifest.baseModel !== t.model) {
          throw new Error(`ENCODER_DOUBLE_TOWERS[${plan.name}].${side}.adapter: ${ref} was trained for ${loaded.manifest.baseModel}, not ${t.model}`);
        }
        adapter = new LinearQueryAdapter(loaded.manifest, loaded.weights);
      }
    }
    return { base: runner.spec, runner, prefix: t.prefix, adapterRef: t.adapter, adapter };
  };
  const query = await tower('query');
  return { name: plan.name, kind: plan.kind, dimensions: query.base.dimensions, query, document: await tower('document') };
}
