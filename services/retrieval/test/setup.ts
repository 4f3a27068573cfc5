// Builds the retrieval domain over in-memory fakes of its ports.
import { CollectionService } from '../src/domain/collections';
import { EncoderBindings } from '../src/domain/encoder-bindings';
import { DocumentIndexer } from '../src/domain/indexer';
import { IngestionService } from '../src/domain/ingestion';
import { SearchService, defaultSearchSettings } from '../src/domain/search';
import type { HypotheticalDocumentWriter } from '../src/domain/ports';
import { FakeEmbedder, MemoryCollections, MemoryDocuments, MemoryJobs, MemoryQueue } from './fakes';

export function setup(opts: { writer?: HypotheticalDocumentWriter | null } = {}) {
  const embedder = new FakeEmbedder();
  const documents = new MemoryDocuments();
  const store = new MemoryCollections(documents);
  const jobs = new MemoryJobs();
  const queue = new MemoryQueue();
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const bindings = new EncoderBindings(embedder, 60_000, now);
  // No caching of collections in unit tests: every lookup sees the store as it is.
  const collections = new CollectionService(store, bindings, -1, now);
  let ids = 0;
  const ingestion = new IngestionService(collections, jobs, queue, documents, () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`);
  const indexer = new DocumentIndexer(collections, bindings, embedder, documents);
  const search = new SearchService(collections, bindings, embedder, documents, opts.writer ?? null, defaultSearchSettings);
  /** Runs what the consumer would: every queued document through the indexer, outcomes recorded. */
  const drain = async () => {
    const items = queue.queued.splice(0);
    const outcomes = await indexer.index(items);
    await jobs.recordOutcomes(outcomes.map((o) => ({ jobId: o.item.jobId, collection: o.item.collection, documentId: o.item.id, ok: o.ok, reason: o.ok ? null : o.reason })));
    return outcomes;
  };
  return { embedder, documents, store, jobs, queue, bindings, collections, ingestion, indexer, search, drain, advance: (ms: number) => (clock += ms) };
}

/** The project unit tests work in, unless a test is about projects. */
export const P = 'default';

export const doc = (id: string, text: string, metadata: Record<string, unknown> = {}, title = '') => ({ id, title, text, metadata });
