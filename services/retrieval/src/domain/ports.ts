// The ports the retrieval domain drives; adapters (*.es.ts, *.grpc.ts, *.kafka.ts) implement them.
import type {
  Collection,
  CollectionRef,
  CollectionWithCount,
  IndexableDocument,
  IngestionJob,
  IngestItem,
  MetadataFieldType,
  MetadataFilter,
  NewIngestionJob,
  RankedDocument,
  RankedId,
  StoredDocument,
  TowerIdentity,
} from './model';

export type InputType = 'QUERY' | 'DOCUMENT';

export interface Embeddings {
  /** The model that answered (the default's name when asked for none). */
  model: string;
  dimensions: number;
  vectors: Float32Array[];
  /** The tower that embedded the texts; null when the encoder does not say (one older than the field). */
  tower: TowerIdentity | null;
}

/**
 * The encoder. Throws UnavailableError('encoder') when it cannot be reached or fails without
 * refusing a text (INTERNAL, UNKNOWN, a malformed response), EncoderRejection
 * when it refuses a text (naming it), UnknownModelError for a model it does not serve.
 */
export interface Embedder {
  /** `batch`: offline work (ingestion) that the encoder runs when no interactive call waits. */
  embed(model: string | null, inputType: InputType, texts: string[], signal?: AbortSignal, priority?: EmbedPriority): Promise<Embeddings>;
}

export type EmbedPriority = 'interactive' | 'batch';

/** Writes hypothetical documents that would answer a query (HyDE). */
export interface HypotheticalDocumentWriter {
  write(query: string, count: number, signal?: AbortSignal): Promise<string[]>;
}

/** Collections of every project; each call sees only the project it names. */
export interface CollectionStore {
  /** Throws ConflictError when the name is taken in the collection's project. */
  create(collection: Collection): Promise<void>;
  get(ref: CollectionRef): Promise<Collection | null>;
  /** The project's collections only. */
  list(projectId: string): Promise<CollectionWithCount[]>;
  count(ref: CollectionRef): Promise<number>;
  /** False when there was no such collection. */
  delete(ref: CollectionRef): Promise<boolean>;
  /** Metadata fields (dot paths) the collection's documents have, with their types. */
  metadataFields(ref: CollectionRef): Promise<Map<string, MetadataFieldType>>;
}

export type WriteResult = { id: string; ok: true } | { id: string; ok: false; reason: string };

export interface DocumentIndex {
  /**
   * Indexes (or replaces, by id) documents; results are in the order of `documents`. A document
   * the index refuses is reported with the reason; a transient failure throws UnavailableError.
   * Written documents become searchable within about a second, or at once by makeSearchable.
   */
  write(collection: CollectionRef, documents: IndexableDocument[]): Promise<WriteResult[]>;
  /** Makes every document written so far searchable now. */
  makeSearchable(collection: CollectionRef): Promise<void>;
  get(collection: CollectionRef, id: string): Promise<StoredDocument | null>;
  /** BM25 over title and text. */
  keyword(collection: CollectionRef, query: string, k: number, filters: MetadataFilter[]): Promise<RankedDocument[]>;
  /** Approximate kNN; scores are cosine similarities. */
  vector(collection: CollectionRef, vector: Float32Array, k: number, filters: MetadataFilter[]): Promise<RankedDocument[]>;
  /** `keyword` with ids and scores only (a deep list for fusion). */
  keywordIds(collection: CollectionRef, query: string, depth: number, filters: MetadataFilter[]): Promise<RankedId[]>;
  /** `vector` with ids and scores only (a deep list for fusion). */
  vectorIds(collection: CollectionRef, vector: Float32Array, depth: number, filters: MetadataFilter[]): Promise<RankedId[]>;
  /** The documents with these ids (missing ones are absent from the map). */
  getMany(collection: CollectionRef, ids: string[]): Promise<Map<string, StoredDocument>>;
}

export interface IngestionJobStore {
  create(job: NewIngestionJob): Promise<void>;
  /** Removes a job whose documents could not be queued. */
  delete(id: string): Promise<void>;
  /** Null also when the job belongs to another project. */
  get(projectId: string, id: string, maxFailures: number): Promise<IngestionJob | null>;
  /**
   * Idempotent by (job, document): a redelivered document is counted once. Recorded outcomes
   * count in `get` within about a second, or at once after publishOutcomes.
   */
  recordOutcomes(outcomes: Array<{ jobId: string; collection: string; documentId: string; ok: boolean; reason: string | null }>): Promise<void>;
  /** Makes every outcome recorded so far count in `get` now. */
  publishOutcomes(): Promise<void>;
}

export interface IngestQueue {
  /** Queues the documents of one job; all or an UnavailableError. */
  publish(items: IngestItem[]): Promise<void>;
}
