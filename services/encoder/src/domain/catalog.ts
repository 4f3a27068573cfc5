// The ONNX sentence encoders the service knows how to run, as fetched by scripts/models/fetch.sh.
export type Pooling = 'MEAN' | 'CLS';

export interface EmbeddingModelSpec {
  name: string;
  /** Folder under MODEL_DIR holding model.onnx and tokenizer.json. */
  folder: string;
  dimensions: number;
  pooling: Pooling;
  queryPrefix: string;
  documentPrefix: string;
}

export const embeddingModelCatalog: Record<string, EmbeddingModelSpec> = {
  'all-minilm-l6-v2-q': {
    name: 'all-minilm-l6-v2-q',
    folder: 'all-minilm-l6-v2-q',
    dimensions: 384,
    pooling: 'MEAN',
    queryPrefix: '',
    documentPrefix: '',
  },
  'bge-small-en-v15-q': {
    name: 'bge-small-en-v15-q',
    folder: 'bge-small-en-v15-q',
    dimensions: 384,
    pooling: 'CLS',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    documentPrefix: '',
  },
  'e5-small-v2-q': {
    name: 'e5-small-v2-q',
    folder: 'e5-small-v2-q',
    dimensions: 384,
    pooling: 'MEAN',
    queryPrefix: 'query: ',
    documentPrefix: 'passage: ',
  },
};

/** Resolves configured names against the catalog; an unknown name names the setting. */
export function resolveModels(names: string[]): EmbeddingModelSpec[] {
  return names.map((name) => {
    const spec = embeddingModelCatalog[name];
    if (!spec) {
      throw new Error(`ENCODER_MODELS: unknown model "${name}" (known: ${Object.keys(embeddingModelCatalog).join(', ')})`);
    }
    return spec;
  });
}
