// Query adapters: a linear map applied to a tower's embeddings, trained on (query, relevant
// document) pairs and stored as a versioned artifact with its manifest.

export const adapterArtifactKind = 'linear-query-adapter';
export const adapterLoss = 'multiple-negatives ranking (InfoNCE over in-batch negatives)';

export interface RetrievalMetrics {
  /** InfoNCE loss over in-batch negatives. */
  loss: number;
  /** Mean reciprocal rank of the first relevant document among all training documents (cut at 10). */
  mrrAt10: number;
  recallAt10: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  validation: RetrievalMetrics;
}

export interface AdapterManifest {
  name: string;
  version: number;
  kind: typeof adapterArtifactKind;
  dimensions: number;
  /** Catalog model whose query embeddings the adapter maps (and whose document embeddings it was trained against). */
  baseModel: string;
  data: {
    dataset: string;
    split: 'train';
    pairs: number;
    trainQueries: number;
    /** Held out of the train split (never the test split) to pick the epoch and report progress. */
    validationQueries: number;
    documents: number;
  };
  training: {
    loss: string;
    optimizer: 'adam';
    epochs: number;
    /** The epoch whose weights were kept (best validation MRR@10). */
    selectedEpoch: number;
    batchSize: number;
    learningRate: number;
    temperature: number;
    seed: number;
    history: EpochReport[];
  };
  /** Validation before training (identity map) and with the kept weights. */
  validation: { before: RetrievalMetrics; after: RetrievalMetrics };
  createdAt: string;
  weightsFile: string;
  weightsSha256: string;
}

export type NewAdapterArtifact = Omit<AdapterManifest, 'version' | 'weightsFile' | 'weightsSha256'> & { weights: Float32Array };

export interface TrainingData {
  queries: Map<string, string>;
  documents: Map<string, string>;
  pairs: Array<{ queryId: string; documentId: string }>;
}

/** A loaded adapter: y = W x, W row-major [dims, dims]. */
export class LinearQueryAdapter {
  constructor(readonly manifest: AdapterManifest, readonly weights: Float32Array) {
    const d = manifest.dimensions;
    if (weights.length !== d * d) throw new Error(`adapter ${manifest.name}@${manifest.version}: ${weights.length} weights for ${d} dimensions`);
  }

  apply(v: Float32Array): Float32Array {
    return applyLinear(this.weights, v);
  }
}

export function applyLinear(w: Float32Array, v: Float32Array): Float32Array {
  const d = v.length;
  const out = new Float32Array(d);
  for (let r = 0; r < d; r++) {
    let s = 0;
    const base = r * d;
    for (let c = 0; c < d; c++) s += w[base + c]! * v[c]!;
    out[r] = s;
  }
  return out;
}

export const adapterNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** "name" (newest version) or "name@3". */
export function parseAdapterRef(ref: string): { name: string; version: number | null } | null {
  const m = /^([^@]+)(?:@([1-9][0-9]*))?$/.exec(ref);
  if (!m || !adapterNamePattern.test(m[1]!)) return null;
  return { name: m[1]!, version: m[2] ? Number(m[2]) : null };
}
