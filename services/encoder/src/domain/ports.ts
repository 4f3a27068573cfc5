// What the domain needs from the outside world; adapters/ implements each port.
import type { AdapterManifest, NewAdapterArtifact, TrainingData } from './adapter-model';

/** A labelled retrieval set: the whole corpus, and the queries of one split with graded relevance. */
export interface RetrievalSet {
  documents: Array<{ id: string; text: string }>;
  queries: Array<{ id: string; text: string; relevant: Map<string, number> }>;
}

/** A model's own tokenizer (WordPiece for the catalog's BERT-style encoders). */
export interface Tokenizer {
  /** Token ids of `text` with the model's special tokens ([CLS] ... [SEP]), not truncated. */
  encode(text: string): number[];
  /** The text of `ids`, special tokens dropped. */
  decode(ids: number[]): string;
}

/** One input as the model sees it, after prefixing and truncation. */
export interface ModelInput {
  /** The text sent to backends that tokenize themselves (cut to the kept tokens when truncated). */
  text: string;
  /** Token ids, special tokens included, at most the model's maximum length. */
  ids: number[];
  truncated: boolean;
}

/** Runs one batch through a sentence encoder: one pooled (not yet normalised) vector per input. */
export interface EmbeddingBackend {
  readonly kind: 'ONNX' | 'OPENAI';
  embed(batch: ModelInput[]): Promise<Float32Array[]>;
  /** Null when it can embed now, else why not (for readiness); absent when it cannot tell. */
  problem?(): string | null;
  close(): Promise<void>;
}

/** Versioned query-adapter artifacts. */
export interface AdapterStore {
  /** Stores the artifact as the next version of its name. */
  save(artifact: NewAdapterArtifact): Promise<AdapterManifest>;
  /** A version, or the newest when `version` is null; null when there is none. */
  load(name: string, version: number | null): Promise<{ manifest: AdapterManifest; weights: Float32Array } | null>;
  /** The newest version of every adapter. */
  list(): Promise<AdapterManifest[]>;
}

/** (query, relevant document) pairs of a named data set's split. */
export interface TrainingDataSource {
  /** Null when there is no such data set. */
  load(dataset: string, split: 'train'): Promise<TrainingData | null>;
  /** Names of the data sets that have a train split. */
  list(): Promise<string[]>;
}

/** Labelled retrieval sets for evaluation (any split: evaluation reads, it never trains). */
export interface RetrievalSetSource {
  loadRetrievalSet(dataset: string, split: string): Promise<RetrievalSet | null>;
}
