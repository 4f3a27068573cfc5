// The retrieval domain's types: collections bound to an embedding model, documents, metadata
// filters, searches and their hits, ingestion jobs.

export type SearchMode = 'KEYWORD' | 'VECTOR' | 'HYBRID' | 'HYDE';
export const searchModes: readonly SearchMode[] = ['KEYWORD', 'VECTOR', 'HYBRID', 'HYDE'];

/**
 * Which encoder produced a collection's vectors: the model name as the encoder answers it, its
 * dimensions, and the document tower's embedding of a fixed probe text. The probe tells a model
 * that kept its name but changed its weights (another base model or document adapter behind the
 * same name) from the one the collection was built with. The towers' identities (base model and
 * prefix, as the encoder reports them) tell a double-tower model whose query tower was swapped for
 * another base model or prefix, which the document probe cannot see; a retrained query adapter
 * keeps the identity, as it maps into the same document space.
 */
export interface EncoderBinding {
  model: string;
  dimensions: number;
  fingerprint: number[];
  /**
   * The towers that embed the collection's queries and documents. Absent on collections bound
   * before they were recorded, or by an encoder that does not report them: those are checked by
   * the probe alone.
   */
  queryTower?: TowerIdentity;
  documentTower?: TowerIdentity;
}

/** What makes a tower's vectors what they are, short of an adapter: base model and prefix. */
export interface TowerIdentity {
  baseModel: string;
  prefix: string;
}

/**
 * Which collection: names are unique within a project, and nothing reaches another project's
 * collections (a name from another project is simply not there).
 */
export interface CollectionRef {
  projectId: string;
  name: string;
}

export interface Collection extends CollectionRef {
  description: string | null;
  encoder: EncoderBinding;
  createdAt: Date;
}

export interface CollectionWithCount extends Collection {
  documentCount: number;
}

export interface NewCollection {
  name: string;
  description: string | null;
  /** null: the encoder's default model. */
  model: string | null;
}

export type Metadata = Record<string, unknown>;

export interface DocumentInput {
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
}

export interface StoredDocument extends DocumentInput {
  collection: string;
}

/** A document with the embedding of its title and text, ready to index. */
export interface IndexableDocument extends DocumentInput {
  jobId: string;
  vector: Float32Array;
}

export type ScalarValue = string | number | boolean;

/** What Elasticsearch mapped a metadata field as, in the terms filters care about. */
export type MetadataFieldType = 'keyword' | 'text' | 'number' | 'date' | 'boolean' | 'other';

export type MetadataFilter =
  | { field: string; kind: 'term'; anyOf: ScalarValue[] }
  | { field: string; kind: 'range'; gt?: ScalarValue; gte?: ScalarValue; lt?: ScalarValue; lte?: ScalarValue };

export interface SearchRequest {
  collection: string;
  query: string;
  mode: SearchMode;
  k: number;
  filters: MetadataFilter[];
  /** The model the caller expects the collection to be bound to; null: whichever it is. */
  model: string | null;
}

/** One ranked list from one retriever (BM25 or kNN), best first. */
export interface RankedDocument {
  document: StoredDocument;
  score: number;
}

/** A ranked list entry without the document (lists fetched deep for fusion). */
export interface RankedId {
  id: string;
  score: number;
}

export interface SearchHit {
  document: StoredDocument;
  /** What the hits are ordered by (BM25, cosine or the fused RRF score). */
  score: number;
  rank: number;
  keywordScore: number | null;
  keywordRank: number | null;
  vectorScore: number | null;
  vectorRank: number | null;
}

export interface SearchResult {
  collection: string;
  mode: SearchMode;
  model: string;
  hits: SearchHit[];
  hypotheticalDocuments: string[];
}

export type IngestionStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED';

export interface IngestionFailure {
  documentId: string;
  reason: string;
}

export interface IngestionJob {
  id: string;
  projectId: string;
  collection: string;
  submitted: number;
  processed: number;
  failed: number;
  status: IngestionStatus;
  createdAt: Date;
  /** The first failures (by document id), with their reasons. */
  failures: IngestionFailure[];
}

export interface NewIngestionJob {
  id: string;
  projectId: string;
  collection: string;
  submitted: number;
  createdAt: Date;
}

/** One document of `documents.ingest.v1`, as the indexer sees it. */
export interface IngestItem extends DocumentInput {
  jobId: string;
  /** The project of the job and the collection (the event's envelope). */
  projectId: string;
  collection: string;
}

export type IngestOutcome = { item: IngestItem; ok: true } | { item: IngestItem; ok: false; reason: string };
