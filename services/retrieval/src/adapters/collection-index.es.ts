// How a collection is laid out in Elasticsearch: one index per collection, named by a prefix, whose
// mapping's _meta records the collection (description, creation time, encoder binding).
// BM25 with k1 = 0.9, b = 0.4 (Anserini's defaults) on title and text, as terms analysed by
// keyword-terms.ts (stop words removed, Porter-stemmed; this Elasticsearch build has no stemmers),
// kept out of _source; title and text themselves are stored for display only. The embedding is
// kept out of _source too: searches read it from the vector index, and parsing and storing 384
// floats as JSON a second time cost Elasticsearch a fifth of its indexing CPU (and every fetch of a
// hit's title and text decompressed them). Metadata strings map
// to keyword so that term and range filters are exact, and metadata numbers to double whether the
// first one seen is whole or not: left to Elasticsearch, a first `4` maps the field as long and a
// later `4.5` is indexed as 4 (its _source keeps 4.5), so a range `gte: 4.5` would miss it.
import type { Collection, CollectionRef } from '../domain/model';

export interface VectorIndexOptions {
  /** int8_hnsw quantizes stored vectors (4x less memory), hnsw keeps float32. */
  type: 'hnsw' | 'int8_hnsw';
  m: number;
  efConstruction: number;
}

export const bm25 = { k1: 0.9, b: 0.4 } as const;

/** The analysed terms of title and text that BM25 searches. */
export const keywordFields = { title: 'title_terms', text: 'text_terms' } as const;

export function collectionIndexBody(collection: Collection, vectors: VectorIndexOptions) {
  return {
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      similarity: { llmops_bm25: { type: 'BM25', ...bm25 } },
    },
    mappings: {
      dynamic: 'strict' as const,
      _source: { excludes: [keywordFields.title, keywordFields.text, 'embedding'] },
      // Only ISO 8601 strings become dates, so that filters can always give bounds in that format.
      date_detection: true,
      dynamic_date_formats: ['strict_date_optional_time'],
      _meta: {
        collection: {
          projectId: collection.projectId,
          description: collection.description,
          createdAt: collection.createdAt.toISOString(),
          encoder: collection.encoder,
        },
      },
      dynamic_templates: [
        { metadata_strings: { path_match: 'metadata.*', match_mapping_type: 'string' as const, mapping: { type: 'keyword', ignore_above: 1024 } } },
        { metadata_whole_numbers: { path_match: 'metadata.*', match_mapping_type: 'long' as const, mapping: { type: 'double' } } },
        { metadata_fractions: { path_match: 'metadata.*', match_mapping_type: 'double' as const, mapping: { type: 'double' } } },
      ],
      properties: {
        title: { type: 'text' as const, index: false },
        text: { type: 'text' as const, index: false },
        [keywordFields.title]: { type: 'text' as const, similarity: 'llmops_bm25', analyzer: 'whitespace' },
        [keywordFields.text]: { type: 'text' as const, similarity: 'llmops_bm25', analyzer: 'whitespace' },
        metadata: { type: 'object' as const, dynamic: true },
        embedding: {
          type: 'dense_vector' as const,
          dims: collection.encoder.dimensions,
          index: true,
          // The encoder's vectors have unit length, so the dot product is the cosine (and cheaper).
          similarity: 'dot_product' as const,
          index_options: { type: vectors.type, m: vectors.m, ef_construction: vectors.efConstruction },
        },
        job_id: { type: 'keyword' as const },
        indexed_at: { type: 'date' as const },
      },
    },
  };
}

/** The collection recorded in an index mapping's _meta, or null when the index is not a collection. */
export function collectionFromMeta(ref: CollectionRef, meta: unknown): Collection | null {
  const c = (meta as { collection?: { description?: string | null; createdAt?: string; encoder?: Collection['encoder'] } } | undefined)?.collection;
  if (!c?.encoder || !c.createdAt) return null;
  return { projectId: ref.projectId, name: ref.name, description: c.description ?? null, createdAt: new Date(c.createdAt), encoder: c.encoder };
}
