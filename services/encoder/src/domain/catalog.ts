// The ONNX sentence encoders the service knows how to run, as fetched by scripts/models/fetch.sh.
export type Pooling = 'MEAN' | 'CLS';

export interface EmbeddingModelSpec {
  name: string;
  /** Folder under MODEL_DIR holding model.onnx and tokenizer.json. */
  folder: string;
  /** The model as a Hugging Face TEI or vLLM server names it (the `model` of /v1/embeddings). */
  servedName: string;
  dimensions: number;
  pooling: Pooling;
  /** Longest input in tokens, [CLS] and [SEP] included (what the model was trained with). */
  maxTokens: number;
  queryPrefix: string;
  documentPrefix: string;
}

export const embeddingModelCatalog: Record<string, EmbeddingModelSpec> = {
  'all-minilm-l6-v2-q': {
    name: 'all-minilm-l6-v2-q',
    folder: 'all-minilm-l6-v2-q',
    servedName: 'sentence-transformers/all-MiniLM-L6-v2',
    dimensions: 384,
    pooling: 'MEAN',
    maxTokens: 256,
    queryPrefix: '',
    documentPrefix: '',
  },
  'bge-small-en-v15-q': {
    name: 'bge-small-en-v15-q',
    folder: 'bge-small-en-v15-q',
    servedName: 'BAAI/bge-small-en-v1.5',
    dimensions: 384,
    pooling: 'CLS',
    maxTokens: 512,
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    documentPrefix: '',
  },
  'e5-small-v2-q': {
    name: 'e5-small-v2-q',
    folder: 'e5-small-v2-q',
    servedName: 'intfloat/e5-small-v2',
    dimensions: 384,
    pooling: 'MEAN',
    maxTokens: 512,
    queryPrefix: 'query: ',
    documentPrefix: 'passage: ',
  },
};

/** The catalog entry for a configured name; an unknown name names `setting` and the known models. */
export function catalogModel(name: string, setting: string): EmbeddingModelSpec {
  const spec = embeddingModelCatalog[name];
  if (!spec) {
    throw new Error(`${setting}: unknown model "${name}" (known: ${Object.keys(embeddingModelCatalog).join(', ')})`);
  }
  return spec;
}
