import { z } from 'zod';
import { commaList, commonEnv, port } from '@llmops/platform';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const address = z.string().regex(/^[^:]+:\d+$/, 'must be host:port');

export const configSchema = commonEnv.extend({
  HTTP_PORT: port(4004),
  /** RetrieverService (Search), for generation's prompt augmentation. */
  GRPC_PORT: port(50054),
  ELASTICSEARCH_URL: z.url(),
  /** Prefix of the Elasticsearch indices that hold collections. */
  ELASTICSEARCH_INDEX_PREFIX: z.string().regex(/^[a-z0-9-]+$/).default('llmops-collection-'),
  /** Index of ingestion jobs; their per-document outcomes go to `<this>-outcomes`. */
  INGESTION_JOB_INDEX: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('llmops-ingestion-jobs'),
  KAFKA_BROKERS: commaList,
  /** host:port of the encoder's gRPC API. */
  ENCODER_ADDRESS: address,
  /** host:port of the generation service's gRPC API; unset: HYDE searches are refused, naming it. */
  GENERATION_ADDRESS: address.optional(),
  /**
   * Documents per encoder call and bulk request during ingestion: the encoder shares a call of 32
   * out between the copies of its model, in runs of at most ENCODER_MAX_BATCH_TOKENS (8 documents
   * of 256 tokens by default). Calls of 64 were no faster (bench/ingestion-throughput.ts --env).
   */
  INGEST_BATCH_SIZE: positiveInt(32),
  /**
   * Partitions of documents.ingest.v1 consumed at once (the topic has 3). Within a partition the
   * next batch embeds while the previous one is written; more partitions at once keep the encoder
   * busy across partition and call boundaries too. Ingestion calls the encoder at batch priority,
   * so batches queued there do not delay the queries of searches.
   */
  INGEST_CONCURRENCY: positiveInt(3),
  INGEST_CONSUMER_GROUP: z.string().min(1).default('retrieval-ingestion'),
  /** Deadline of an ingestion batch's encoder call (it queues behind the other partitions' batches). */
  INGEST_ENCODER_DEADLINE_MS: positiveInt(120_000),
  /** Deadline of a query's encoder call. */
  SEARCH_ENCODER_DEADLINE_MS: positiveInt(10_000),
  /** HNSW storage of new collections: int8_hnsw (quantized, 4x smaller) or hnsw (float32). */
  VECTOR_INDEX_TYPE: z.enum(['hnsw', 'int8_hnsw']).default('hnsw'),
  VECTOR_INDEX_M: positiveInt(16),
  VECTOR_INDEX_EF_CONSTRUCTION: positiveInt(100),
  /**
   * kNN candidates per search: max(KNN_MIN_CANDIDATES, k * KNN_CANDIDATES_PER_HIT). 200 keeps
   * recall@10 against exact search at 0.99 on 100k documents (bench/search-latency.ts; 100: 0.977).
   */
  KNN_MIN_CANDIDATES: positiveInt(200),
  KNN_CANDIDATES_PER_HIT: positiveInt(2),
  /**
   * How deep the BM25 and kNN lists go before reciprocal rank fusion (at least k), and its constant
   * k. 30: SciFact's nDCG@10 is as good as at 100 (0.711 vs 0.708, npm run bench:hybrid-depth,
   * 2026-11-29) and Elasticsearch answers the two lists in about half the time.
   */
  HYBRID_DEPTH: positiveInt(30),
  RRF_K: positiveInt(60),
  /** HYDE: hypothetical documents per query, and how they are written. */
  HYDE_DOCUMENTS: z.coerce.number().int().min(1).max(8).default(4),
  HYDE_MODEL: z.string().default(''),
  HYDE_MAX_TOKENS: positiveInt(128),
  HYDE_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  HYDE_DEADLINE_MS: positiveInt(60_000),
});

export type Config = z.infer<typeof configSchema>;
