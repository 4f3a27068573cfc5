import type { Client } from '@elastic/elasticsearch';
import { defaultProjectId, InputError, UnavailableError } from '@llmops/platform';
import type { IndexedVersion, PromptIndex } from '../domain/similarity';

/**
 * Prompt-version embeddings in one Elasticsearch index (dense_vector, cosine). The mapping records
 * which embedding model produced the vectors; a search with another model is refused.
 */
export class EsPromptIndex implements PromptIndex {
  private ready?: Promise<void>;

  constructor(private readonly es: Client, private readonly index: string) {}

  private ensureIndex(model: string, dims: number): Promise<void> {
    this.ready ??= (async () => {
      const exists = await this.es.indices.exists({ index: this.index });
      if (!exists) {
        await this.es.indices
          .create({
            index: this.index,
            settings: { number_of_shards: 1, number_of_replicas: 0 },
            mappings: {
              _meta: { embedding_model: model, dimensions: dims },
              properties: {
                project_id: { type: 'keyword' },
                prompt_name: { type: 'keyword' },
                number: { type: 'integer' },
                text: { type: 'text' },
                model: { type: 'keyword' },
                vector: { type: 'dense_vector', dims, index: true, similarity: 'cosine' },
              },
            },
          })
          .catch((err: { meta?: { body?: { error?: { type?: string } } } }) => {
            if (err.meta?.body?.error?.type !== 'resource_already_exists_exception') throw err;
          });
      } else {
        // Indices made before projects: the field is added (its documents are the default project's).
        await this.es.indices.putMapping({ index: this.index, properties: { project_id: { type: 'keyword' } } });
      }
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async upsert(doc: IndexedVersion): Promise<void> {
    await this.guard(async () => {
      await this.ensureIndex(doc.model, doc.vector.length);
      await this.es.index({
        index: this.index,
        id: doc.versionId,
        document: { project_id: doc.projectId, prompt_name: doc.promptName, number: doc.number, text: doc.text, model: doc.model, vector: Array.from(doc.vector) },
        refresh: 'wait_for',
      });
    });
  }

  async search(vector: Float32Array, model: string, k: number, projectId: string): Promise<Array<{ versionId: string; score: number }>> {
    return this.guard(async () => {
      if (!(await this.es.indices.exists({ index: this.index }))) return [];
      const mapping = await this.es.indices.getMapping({ index: this.index });
      const indexedWith = (Object.values(mapping)[0]?.mappings?._meta as { embedding_model?: string } | undefined)?.embedding_model;
      if (indexedWith && indexedWith !== model) {
        throw new InputError(`prompt index was built with embedding model ${indexedWith}, the encoder now serves ${model}; re-index first`, 'text');
      }
      const res = await this.es.search<{ number: number }>({
        index: this.index,
        // Only the caller's project; versions indexed before projects belong to the default one.
        knn: { field: 'vector', query_vector: Array.from(vector), k, num_candidates: Math.max(50, k * 5), filter: projectFilter(projectId) },
        _source: false,
        size: k,
      });
      // Elasticsearch scores cosine kNN as (1 + cosine) / 2; callers get the cosine itself.
      return res.hits.hits.map((h) => ({ versionId: h._id!, score: 2 * (h._score ?? 0.5) - 1 }));
    });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InputError) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError') throw new UnavailableError('elasticsearch', { cause: err });
      throw err;
    }
  }
}

function projectFilter(projectId: string) {
  if (projectId !== defaultProjectId) return { term: { project_id: projectId } };
  return { bool: { should: [{ term: { project_id: projectId } }, { bool: { must_not: { exists: { field: 'project_id' } } } }], minimum_should_match: 1 } };
}
