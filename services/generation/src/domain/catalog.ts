// The embedded GGUF models the service can run in-process, as fetched by scripts/models/fetch.sh.
export interface EmbeddedModelSpec {
  name: string;
  /** Path under MODEL_DIR. */
  file: string;
  /** Largest context (prompt + completion tokens) the model was trained for. */
  contextLength: number;
}

export const embeddedModelCatalog = {
  'smollm2-135m-instruct': {
    name: 'smollm2-135m-instruct',
    file: 'smollm2-135m-instruct/model.gguf',
    contextLength: 8192,
  },
} as const satisfies Record<string, EmbeddedModelSpec>;
