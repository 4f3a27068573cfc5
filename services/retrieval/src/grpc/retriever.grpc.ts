import { InputError, type GrpcServer } from '@llmops/platform';
import { retrievalV1 as pb } from '@llmops/contracts';
import type { MetadataFilter, ScalarValue, SearchHit, SearchMode } from '../domain/model';
import type { SearchService } from '../domain/search';
import type { RetrievalMetrics } from '../metrics';

export const retrieverServiceName = 'llmops.retrieval.v1.RetrieverService';

export function retrieverGrpc(server: GrpcServer, search: SearchService, metrics: RetrievalMetrics): pb.RetrieverServiceServer {
  return {
    search: server.unary(retrieverServiceName, 'Search', 'reader', async (request: pb.SearchRequest, { signal, identity }): Promise<pb.SearchResponse> => {
      const mode = toMode(request.mode);
      const done = metrics.timeSearch(mode);
      try {
        // Only the caller's project's collections: another project's name is NOT_FOUND.
        const result = await search.search(
          identity.projectId,
          {
            collection: request.collection,
            query: request.query,
            mode,
            k: request.k === 0 ? 10 : request.k,
            filters: request.filters.map(toFilter),
            model: request.model || null,
          },
          signal,
        );
        done(true);
        return {
          collection: result.collection,
          mode: request.mode === pb.SearchMode.SEARCH_MODE_UNSPECIFIED ? pb.SearchMode.SEARCH_MODE_HYBRID : request.mode,
          model: result.model,
          hits: result.hits.map(toHit),
          hypotheticalDocuments: result.hypotheticalDocuments,
        };
      } catch (err) {
        done(false);
        throw err;
      }
    }),
  };
}

function toMode(mode: pb.SearchMode): SearchMode {
  switch (mode) {
    case pb.SearchMode.SEARCH_MODE_UNSPECIFIED:
    case pb.SearchMode.SEARCH_MODE_HYBRID:
      return 'HYBRID';
    case pb.SearchMode.SEARCH_MODE_KEYWORD:
      return 'KEYWORD';
    case pb.SearchMode.SEARCH_MODE_VECTOR:
      return 'VECTOR';
    case pb.SearchMode.SEARCH_MODE_HYDE:
      return 'HYDE';
    default:
      throw new InputError(`mode: unknown search mode ${String(mode)}`, 'mode');
  }
}

function toFilter(f: pb.Filter, i: number): MetadataFilter {
  const at = `filters.${i}`;
  const hasRange = f.range !== undefined;
  if ((f.anyOf.length > 0) === hasRange) throw new InputError(`${at}: set exactly one of any_of and range`, at);
  if (!hasRange) return { field: f.field, kind: 'term', anyOf: f.anyOf.map((v, j) => toScalar(v, `${at}.any_of.${j}`)) };
  const out: MetadataFilter = { field: f.field, kind: 'range' };
  for (const b of ['gt', 'gte', 'lt', 'lte'] as const) {
    const v = f.range![b];
    if (v) out[b] = toScalar(v, `${at}.range.${b}`);
  }
  return out;
}

function toScalar(v: pb.FilterValue, at: string): ScalarValue {
  if (!v.kind) throw new InputError(`${at}: set string_value, number_value or bool_value`, at);
  return v.kind.value;
}

function toHit(h: SearchHit): pb.SearchHit {
  return {
    documentId: h.document.id,
    title: h.document.title,
    text: h.document.text,
    metadataJson: JSON.stringify(h.document.metadata),
    score: h.score,
    rank: h.rank,
    keywordScore: h.keywordScore ?? undefined,
    keywordRank: h.keywordRank ?? undefined,
    vectorScore: h.vectorScore ?? undefined,
    vectorRank: h.vectorRank ?? undefined,
  };
}
