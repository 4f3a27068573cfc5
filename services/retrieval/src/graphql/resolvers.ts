import { DateTimeScalar, JSONScalar, type Identity } from '@llmops/platform';
import type { CollectionWithCount, IngestionJob, SearchMode, StoredDocument } from '../domain/model';
import type { CollectionService } from '../domain/collections';
import type { IngestionService } from '../domain/ingestion';
import type { SearchService } from '../domain/search';
import type { DocumentIndex } from '../domain/ports';
import type { RetrievalMetrics } from '../metrics';
import { UnknownReferenceError } from '../domain/errors';
import { isCollectionName, isDocumentId, validateDocumentId } from '../domain/validation';
import { toDocuments, toFilters, type DocumentArg, type SearchFilterArg } from './inputs';

export interface Context {
  collections: CollectionService;
  ingestion: IngestionService;
  search: SearchService;
  documents: DocumentIndex;
  metrics: RetrievalMetrics;
}

/** Every resolver reads and writes the caller's project only (serveSubgraph adds `identity`). */
export type RequestContext = Context & { identity: Identity };

interface SearchArgs {
  collection: string;
  query: string;
  mode: SearchMode;
  k: number;
  filters?: SearchFilterArg[] | null;
  model?: string | null;
}

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    collections: (_: unknown, __: unknown, ctx: RequestContext) => ctx.collections.list(ctx.identity.projectId),
    collection: async (_: unknown, args: { name: string }, ctx: RequestContext) => {
      const c = await ctx.collections.find(ctx.identity.projectId, args.name);
      return c ? { ...c, documentCount: await ctx.collections.count(c) } : null;
    },
    document: async (_: unknown, args: { collection: string; id: string }, ctx: RequestContext) => {
      const collection = await ctx.collections.get(ctx.identity.projectId, args.collection, 'collection');
      return ctx.documents.get(collection, validateDocumentId(args.id, 'id'));
    },
    ingestionJob: (_: unknown, args: { id: string }, ctx: RequestContext) => ctx.ingestion.job(ctx.identity.projectId, args.id, 0),
    search: async (_: unknown, args: SearchArgs, ctx: RequestContext) => {
      const done = ctx.metrics.timeSearch(args.mode);
      try {
        const result = await ctx.search.search(ctx.identity.projectId, {
          collection: args.collection,
          query: args.query,
          mode: args.mode,
          k: args.k,
          filters: toFilters(args.filters),
          model: args.model ?? null,
        });
        done(true);
        return result;
      } catch (err) {
        done(false);
        throw err;
      }
    },
  },
  Mutation: {
    createCollection: (_: unknown, { input }: { input: { name: string; description?: string | null; model?: string | null } }, ctx: RequestContext) =>
      ctx.collections.create(ctx.identity.projectId, { name: input.name, description: input.description ?? null, model: input.model ?? null }),
    deleteCollection: (_: unknown, args: { name: string }, ctx: RequestContext) => ctx.collections.delete(ctx.identity.projectId, args.name),
    ingestDocuments: (_: unknown, args: { collection: string; documents: DocumentArg[] }, ctx: RequestContext) =>
      ctx.ingestion.ingest(ctx.identity.projectId, args.collection, toDocuments(args.documents)),
  },
  Collection: {
    __resolveReference: async (ref: { name: string }, ctx: RequestContext) => {
      const c = await ctx.collections.find(ctx.identity.projectId, ref.name);
      return c ? { ...c, documentCount: await ctx.collections.count(c) } : null;
    },
    encoder: (c: CollectionWithCount) => ({ model: c.encoder.model, dimensions: c.encoder.dimensions }),
  },
  Document: {
    __resolveReference: async (ref: { collection: string; id: string }, ctx: RequestContext): Promise<StoredDocument | null> => {
      if (!isCollectionName(ref.collection) || !isDocumentId(ref.id)) return null;
      return ctx.documents.get({ projectId: ctx.identity.projectId, name: ref.collection }, ref.id).catch((err: unknown) => {
        if (err instanceof UnknownReferenceError) return null;
        throw err;
      });
    },
  },
  IngestionJob: {
    failures: async (job: IngestionJob, args: { first: number }, ctx: RequestContext) =>
      args.first === 0 || job.failed === 0 ? [] : (await ctx.ingestion.job(ctx.identity.projectId, job.id, args.first)).failures,
  },
};
