// The embedded GGUF models the service can run in-process, as fetched by scripts/models/fetch.sh.
export interface GenerationModelSpec {
  name: string;
  backend: 'EMBEDDED' | 'OPENAI_COMPATIBLE';
  /** Path under MODEL_DIR, for embedded models. */
  file: string;
  contextLength: number;
}

export const embeddedModelCatalog = {
  'smollm2-135m-instruct': {
    name: 'smollm2-135m-instruct',
    backend: 'EMBEDDED',
    file: 'smollm2-135m-instruct/model.gguf',
    contextLength: 8192,
  },
} as const satisfies Record<string, GenerationModelSpec>;
