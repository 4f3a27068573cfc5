// Builds the model backends and the router from the settings: what main.ts, the tests and the
// benchmark share (no servers, no database).
import { join } from 'node:path';
import { requireModelFile } from '@llmops/platform';
import type { Config } from './config-schema';
import { openAiBackends } from './config-schema';
import { embeddedModelCatalog } from './domain/catalog';
import type { ModelBackend } from './domain/ports';
import { ModelRouter } from './domain/router';
import { EmbeddedLlamaBackend } from './adapters/embedded-backend.llama';
import { OpenAiCompatibleBackend } from './adapters/openai-backend.http';
import type { LoadNodeLlamaCpp } from './adapters/node-llama-cpp';
import { TracedBackend } from './adapters/traced-backend';

export interface Backends {
  embedded: EmbeddedLlamaBackend;
  all: ModelBackend[];
  router: ModelRouter;
  close(): Promise<void>;
}

export interface BuildBackendOptions {
  loadNodeLlamaCpp?: LoadNodeLlamaCpp;
  onQueueChange?: (inUse: number, waiting: number) => void;
}

export async function buildBackends(c: Config, opts: BuildBackendOptions = {}): Promise<Backends> {
  const spec = embeddedModelCatalog[c.GENERATION_EMBEDDED_MODEL];
  const modelPath = requireModelFile(join(c.MODEL_DIR, spec.file));
  const embedded = await EmbeddedLlamaBackend.load(
    {
      name: 'embedded',
      modelName: spec.name,
      modelPath,
      threads: c.GENERATION_THREADS,
      contextSize: Math.min(c.GENERATION_CONTEXT_SIZE, spec.contextLength),
      sequences: c.GENERATION_SEQUENCES,
      maxQueue: c.GENERATION_MAX_QUEUE,
      onQueueChange: opts.onQueueChange,
    },
    opts.loadNodeLlamaCpp,
  );
  const remotes = openAiBackends(c).map((b) => new OpenAiCompatibleBackend(b));
  const all: ModelBackend[] = [...remotes, embedded].map((b) => new TracedBackend(b));
  const router = new ModelRouter(all, {
    defaultModel: c.GENERATION_DEFAULT_MODEL ?? remotes[0]?.models[0]?.name ?? spec.name,
    fallbackBackend: c.GENERATION_FALLBACK_BACKEND === 'none' ? null : c.GENERATION_FALLBACK_BACKEND,
  });
  return { embedded, all, router, close: async () => void (await Promise.all(all.map((b) => b.close()))) };
}
