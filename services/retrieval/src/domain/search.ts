// Search in four modes over one collection, every mode with the same metadata filters:
//   KEYWORD  BM25 over title and text;
//   VECTOR   kNN of the query-tower embedding among the document-tower embeddings;
//   HYBRID   reciprocal rank fusion of the two lists;
//   HYDE     kNN of the mean of the query embedding and the document-tower embeddings of
//            hypothetical documents a language model wrote for the query (Gao et al., 2022).
// Each hit carries the scores and ranks it had in the lists it came from.
import { InputError, UnreachableCaseError } from '@llmops/platform';
import type { Collection, RankedDocument, SearchHit, SearchRequest, SearchResult } from './model';
import type { DocumentIndex, Embedder, HypotheticalDocumentWriter } from './ports';
import type { CollectionService } from './collections';
import type { EncoderBindings } from './encoder-bindings';
import { HydeUnavailableError } from './errors';
import { defaultRrfK, reciprocalRankFusion } from './fusion';
import { validateFilters, validateK, validateQuery } from './validation';
import { meanDirection } from './vectors';

export interface SearchSettings {
  /** How deep each list goes before fusion (at least k). */
  hybridDepth: number;
  rrfK: number;
  /** Hypothetical documents per HYDE query. */
  hydeDocuments: number;
}

export const defaultSearchSettings: SearchSettings = { hybridDepth: 30, rrfK: defaultRrfK, hydeDocuments: 4 };

export class SearchService {
  constructor(
    private readonly collections: CollectionService,
    private readonly bindings: EncoderBindings,
    private readonly embedder: Embedder,
    private readonly index: DocumentIndex,
    /** null: no generation service configured; HYDE is refused, naming it. */
    private readonly writer: HypotheticalDocumentWriter | null,
    private readonly settings: SearchSettings = defaultSearchSettings,
  ) {}

  /** Searches one of the project's collections (another project's is NOT_FOUND). */
  async search(projectId: string, req: SearchRequest, signal?: AbortSignal): Promise<SearchResult> {
    validateQuery(req.query);
    validateK(req.k);
    validateFilters(req.filters);
    const collection = await this.collections.get(projectId, req.collection, 'collection');
    if (req.model !== null && req.model !== collection.encoder.model) {
      throw new InputError(
        `model: collection ${collection.name} holds vectors of ${collection.encoder.model}; searching it with ${req.model} would compare vectors of different models`,
        'model',
        { collectionModel: collection.encoder.model },
      );
    }
    if (req.mode === 'HYDE' && !this.writer) throw new HydeUnavailableError('no generation service is configured (GENERATION_ADDRESS)');
    const filters = await this.collections.checkFilters(collection, req.filters);
    const result = (hits: SearchHit[], hypotheticalDocuments: string[] = []): SearchResult => ({
      collection: collection.name,
      mode: req.mode,
      model: collection.encoder.model,
      hits,
      hypotheticalDocuments,
    });
    switch (req.mode) {
      case 'KEYWORD':
        return result(asHits(await this.index.keyword(collection, req.query, req.k, filters), 'keyword'));
      case 'VECTOR': {
        const vector = await this.embedQuery(collection, req.query, signal);
        return result(asHits(await this.index.vector(collection, vector, req.k, filters), 'vector'));
      }
      case 'HYBRID': {
        const depth = Math.max(req.k, this.settings.hybridDepth);
        // Both lists go deep with ids only; only the fused top k documents are fetched. The BM25
        // list needs no embedding, so it runs while the encoder embeds the query.
        const [keyword, vector] = await Promise.all([
          this.index.keywordIds(collection, req.query, depth, filters),
          this.embedQuery(collection, req.query, signal).then((v) => this.index.vectorIds(collection, v, depth, filters)),
        ]);
        const fused = reciprocalRankFusion(keyword, vector, req.k, this.settings.rrfK);
        const documents = await this.index.getMany(collection, fused.map((f) => f.id));
        // A document deleted between the two calls drops out.
        const hits = fused.flatMap(({ id, ...f }) => (documents.has(id) ? [{ ...f, document: documents.get(id)! }] : []));
        return result(hits.map((h, i) => ({ ...h, rank: i + 1 })));
      }
      case 'HYDE': {
        const { vector, documents } = await this.hydeVector(collection, req.query, signal);
        return result(asHits(await this.index.vector(collection, vector, req.k, filters), 'vector'), documents);
      }
      default:
        throw new UnreachableCaseError(req.mode);
    }
  }

  private async embedQuery(collection: Collection, query: string, signal?: AbortSignal): Promise<Float32Array> {
    await this.bindings.verify(collection, signal);
    const res = await this.embedder.embed(collection.encoder.model, 'QUERY', [query], signal);
    this.bindings.checkResponse(collection, res, 'QUERY');
    return res.vectors[0]!;
  }

  /** HyDE: the query embedding averaged with the embeddings of hypothetical documents, as in the paper. */
  private async hydeVector(collection: Collection, query: string, signal?: AbortSignal) {
    const written = await this.writer!.write(query, this.settings.hydeDocuments, signal);
    const documents = written.map((d) => d.trim()).filter(Boolean);
    const [q, docs] = await Promise.all([
      this.embedQuery(collection, query, signal),
      documents.length ? this.embedder.embed(collection.encoder.model, 'DOCUMENT', documents, signal) : null,
    ]);
    if (docs) this.bindings.checkResponse(collection, docs, 'DOCUMENT');
    return { vector: meanDirection([q, ...(docs?.vectors ?? [])]), documents };
  }
}

function asHits(list: RankedDocument[], component: 'keyword' | 'vector'): SearchHit[] {
  return list.map((r, i) => ({
    document: r.document,
    score: r.score,
    rank: i + 1,
    keywordScore: component === 'keyword' ? r.score : null,
    keywordRank: component === 'keyword' ? i + 1 : null,
    vectorScore: component === 'vector' ? r.score : null,
    vectorRank: component === 'vector' ? i + 1 : null,
  }));
}

