// Offline ingestion, the indexing side: a batch of queued documents is embedded by the document
// tower of each collection's model and written to the collection. A document that cannot be
// indexed fails alone, with its reason; an unreachable encoder or Elasticsearch throws
// UnavailableError so that the whole batch is retried later and nothing is lost.
import { InputError } from '@llmops/platform';
import type { Collection, IndexableDocument, IngestItem, IngestOutcome } from './model';
import type { DocumentIndex, Embedder } from './ports';
import type { CollectionService } from './collections';
import type { EncoderBindings } from './encoder-bindings';
import { EncoderMismatchError, EncoderRejection } from './errors';
import { validateDocument } from './validation';

/** Models read at most 512 tokens; more characters than this only cost bandwidth. */
export const maxEmbeddedChars = 8_000;

/** What the document tower embeds: "title text", as BEIR's evaluation joins them. */
export function embeddingText(d: { title: string; text: string }): string {
  const joined = d.title.trim() ? `${d.title.trim()} ${d.text}` : d.text;
  if (joined.length <= maxEmbeddedChars) return joined;
  // Do not cut a surrogate pair in half.
  const cut = /[\ud800-\udbff]/.test(joined[maxEmbeddedChars - 1]!) ? maxEmbeddedChars - 1 : maxEmbeddedChars;
  return joined.slice(0, cut);
}

/** Runs `work` on behalf of the project (e.g. signing its calls to peers as that project). */
export type ProjectScope = <T>(projectId: string, work: () => Promise<T>) => Promise<T>;

/** A batch checked and embedded, not yet written. */
export interface PreparedBatch {
  items: IngestItem[];
  /** Items that already failed, with their reasons. */
  outcomes: Map<IngestItem, IngestOutcome>;
  /** Embedded documents by collection (each item in its own project's collection). */
  embedded: Array<{ collection: Collection; documents: Array<{ item: IngestItem; document: IndexableDocument }> }>;
}

export class DocumentIndexer {
  constructor(
    private readonly collections: CollectionService,
    private readonly bindings: EncoderBindings,
    private readonly embedder: Embedder,
    private readonly documents: DocumentIndex,
    /** Runs work done for a project's documents (the encoder calls) as that project. */
    private readonly asProject: ProjectScope = (_, work) => work(),
  ) {}

  /** Embeds and writes one batch; each item's outcome, in order. */
  async index(items: IngestItem[], signal?: AbortSignal): Promise<IngestOutcome[]> {
    return this.write(await this.prepare(items, signal));
  }

  /**
   * The first half of `index`: checks the items and embeds them, without writing anything, so
   * that a consumer can embed the next batch while the previous one is written.
   */
  async prepare(items: IngestItem[], signal?: AbortSignal): Promise<PreparedBatch> {
    const outcomes = new Map<IngestItem, IngestOutcome>();
    const fail = (item: IngestItem, reason: string) => outcomes.set(item, { item, ok: false, reason });
    const byCollection = new Map<string, IngestItem[]>();
    for (const item of items) {
      const key = `${item.projectId}/${item.collection}`;
      byCollection.set(key, [...(byCollection.get(key) ?? []), item]);
    }
    const embedded: PreparedBatch['embedded'] = [];

    for (const group of byCollection.values()) {
      const { projectId, collection: name } = group[0]!;
      const collection = await this.collections.find(projectId, name);
      if (!collection) {
        for (const item of group) fail(item, `collection ${name} does not exist in project ${projectId} (deleted after the document was queued?)`);
        continue;
      }
      const valid = group.filter((item) => {
        try {
          validateDocument(item, 'document');
          return true;
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          fail(item, err.message);
          return false;
        }
      });
      try {
        const documents = await this.asProject(projectId, async () => {
          await this.bindings.verify(collection, signal);
          return this.embed(collection, valid, fail, signal);
        });
        embedded.push({ collection, documents });
      } catch (err) {
        if (!(err instanceof EncoderMismatchError)) throw err;
        for (const item of valid) if (!outcomes.has(item)) fail(item, err.message);
      }
    }
    return { items, outcomes, embedded };
  }

  /** The second half of `index`: writes what `prepare` embedded. */
  async write(batch: PreparedBatch): Promise<IngestOutcome[]> {
    const outcomes = new Map(batch.outcomes);
    for (const { collection, documents: embedded } of batch.embedded) {
      // Results come in the order written (an id may occur twice in a batch: the later one wins).
      const results = await this.documents.write(collection, embedded.map((e) => e.document));
      results.forEach((r, i) => {
        const item = embedded[i]!.item;
        outcomes.set(item, r.ok ? { item, ok: true } : { item, ok: false, reason: `Elasticsearch refused the document: ${r.reason}` });
      });
    }
    return batch.items.map((item) => outcomes.get(item)!);
  }

  /** Embeds the items; one the encoder refuses fails alone and the others are embedded again. */
  private async embed(
    collection: Collection,
    items: IngestItem[],
    fail: (item: IngestItem, reason: string) => void,
    signal?: AbortSignal,
  ): Promise<Array<{ item: IngestItem; document: IndexableDocument }>> {
    let pending = items;
    while (pending.length) {
      try {
        // Ingestion is batch work: searches' query embeddings go first.
        const res = await this.embedder.embed(collection.encoder.model, 'DOCUMENT', pending.map(embeddingText), signal, 'batch');
        this.bindings.checkResponse(collection, res, 'DOCUMENT');
        return pending.map((item, i) => ({
          item,
          document: { id: item.id, title: item.title, text: item.text, metadata: item.metadata, jobId: item.jobId, vector: res.vectors[i]! },
        }));
      } catch (err) {
        if (!(err instanceof EncoderRejection)) throw err;
        const culprit = err.textIndex === null ? null : pending[err.textIndex];
        if (!culprit) {
          // The encoder refused the request as a whole (e.g. too many texts): one at a time.
          if (pending.length === 1) {
            fail(pending[0]!, `the encoder refused the text: ${err.message}`);
            return [];
          }
          const half = Math.ceil(pending.length / 2);
          return [
            ...(await this.embed(collection, pending.slice(0, half), fail, signal)),
            ...(await this.embed(collection, pending.slice(half), fail, signal)),
          ];
        }
        fail(culprit, `the encoder refused the text: ${err.message}`);
        pending = pending.filter((p) => p !== culprit);
      }
    }
    return [];
  }
}
