// In-memory fakes of the retrieval domain's own ports, for unit tests.
import { createHash } from 'node:crypto';
import { ConflictError, UnavailableError } from '@llmops/platform';
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
  StoredDocument,
  TowerIdentity,
} from '../src/domain/model';
import type { CollectionStore, DocumentIndex, Embedder, Embeddings, HypotheticalDocumentWriter, IngestionJobStore, IngestQueue, InputType, WriteResult } from '../src/domain/ports';
import { EncoderRejection, UnknownReferenceError } from '../src/domain/errors';
import { dot, normalize } from '../src/domain/vectors';

/** Deterministic unit vectors from the words of a text: texts sharing words point the same way. */
export function bagOfWords(text: string, dims = 16, seed = ''): Float32Array {
  const v = new Float32Array(dims);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? ['empty']) {
    const h = createHash('sha256').update(seed + word).digest();
    for (let i = 0; i < dims; i++) v[i]! += (h[i]! - 127.5) / 127.5;
  }
  return normalize(v);
}

export class FakeEmbedder implements Embedder {
  calls: Array<{ model: string | null; inputType: InputType; texts: string[] }> = [];
  /** Model name -> seed: another seed is "another model" with unrelated vectors. */
  models = new Map<string, string>([
    ['minilm', ''],
    ['other', 'other-model:'],
  ]);
  defaultModel = 'minilm';
  down = false;
  /** Texts containing this word are refused, naming the text. */
  refuseWord: string | null = null;
  /** Model name -> the towers it reports; unset: both are its own base model without a prefix. */
  towers = new Map<string, { query: TowerIdentity; document: TowerIdentity }>();
  /** False: an encoder older than the tower field, which names no tower. */
  reportsTowers = true;
  /** How long each call takes to answer (a slow or busy encoder). */
  latencyMs = 0;

  async embed(model: string | null, inputType: InputType, texts: string[]): Promise<Embeddings> {
    this.calls.push({ model, inputType, texts });
    if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.down) throw new UnavailableError('encoder');
    const name = model ?? this.defaultModel;
    const seed = this.models.get(name);
    if (seed === undefined) throw new UnknownReferenceError('EmbeddingModel', name, 'model', [...this.models.keys()]);
    const refused = this.refuseWord ? texts.findIndex((t) => t.includes(this.refuseWord!)) : -1;
    if (refused >= 0) throw new EncoderRejection(`texts.${refused}: refused`, refused);
    const towers = this.towers.get(name) ?? { query: { baseModel: name, prefix: '' }, document: { baseModel: name, prefix: '' } };
    const tower = this.reportsTowers ? (inputType === 'QUERY' ? towers.query : towers.document) : null;
    return { model: name, dimensions: 16, vectors: texts.map((t) => bagOfWords(t, 16, seed)), tower };
  }
}

/** The key of a collection in the fakes' maps. */
export const keyOf = (ref: CollectionRef) => `${ref.projectId}/${ref.name}`;

export class MemoryCollections implements CollectionStore {
  readonly collections = new Map<string, Collection>();
  /** Shared with MemoryDocuments so document counts and metadata fields follow what was written. */
  constructor(readonly documents: MemoryDocuments) {}

  async create(c: Collection): Promise<void> {
    if (this.collections.has(keyOf(c))) throw new ConflictError(`collection ${c.name} already exists`, { field: 'name' });
    this.collections.set(keyOf(c), c);
    this.documents.collections.set(keyOf(c), new Map());
  }
  async get(ref: CollectionRef) {
    return this.collections.get(keyOf(ref)) ?? null;
  }
  async list(projectId: string): Promise<CollectionWithCount[]> {
    return [...this.collections.values()]
      .filter((c) => c.projectId === projectId)
      .map((c) => ({ ...c, documentCount: this.documents.collections.get(keyOf(c))?.size ?? 0 }));
  }
  async count(ref: CollectionRef) {
    return this.documents.collections.get(keyOf(ref))?.size ?? 0;
  }
  async delete(ref: CollectionRef) {
    this.documents.collections.delete(keyOf(ref));
    return this.collections.delete(keyOf(ref));
  }
  async metadataFields(ref: CollectionRef): Promise<Map<string, MetadataFieldType>> {
    const fields = new Map<string, MetadataFieldType>();
    for (const d of this.documents.collections.get(keyOf(ref))?.values() ?? []) {
      for (const [k, v] of Object.entries(d.metadata)) {
        if (!fields.has(k)) fields.set(k, typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : /^\d{4}-\d\d-\d\d/.test(String(v)) ? 'date' : 'keyword');
      }
    }
    return fields;
  }
}

export class MemoryDocuments implements DocumentIndex {
  /** Documents by collection key (keyOf). */
  readonly collections = new Map<string, Map<string, IndexableDocument>>();
  down = false;
  /** Documents whose metadata has this key are refused, like a mapping conflict. */
  refuseMetadataKey: string | null = null;
  lastFilters: MetadataFilter[] = [];
  lastVector: Float32Array | null = null;
  /** Collections (keyOf) made searchable, in order. */
  readonly madeSearchable: string[] = [];

  async write(collection: CollectionRef, documents: IndexableDocument[]): Promise<WriteResult[]> {
    if (this.down) throw new UnavailableError('elasticsearch');
    const docs = this.collections.get(keyOf(collection))!;
    return documents.map((d) => {
      if (this.refuseMetadataKey && this.refuseMetadataKey in d.metadata) return { id: d.id, ok: false as const, reason: `mapper_parsing_exception on ${this.refuseMetadataKey}` };
      docs.set(d.id, d);
      return { id: d.id, ok: true as const };
    });
  }
  async makeSearchable(collection: CollectionRef): Promise<void> {
    if (this.down) throw new UnavailableError('elasticsearch');
    if (!this.collections.has(keyOf(collection))) throw new UnknownReferenceError('Collection', collection.name, 'collection');
    this.madeSearchable.push(keyOf(collection));
  }
  async get(collection: CollectionRef, id: string): Promise<StoredDocument | null> {
    const d = this.collections.get(keyOf(collection))?.get(id);
    return d ? stored(collection.name, d) : null;
  }
  async keyword(collection: CollectionRef, query: string, k: number, filters: MetadataFilter[]): Promise<RankedDocument[]> {
    this.lastFilters = filters;
    const words = new Set(query.toLowerCase().match(/[a-z0-9]+/g));
    return this.rank(collection, filters, (d) => (`${d.title} ${d.text}`.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => words.has(w)).length, k, true);
  }
  async vector(collection: CollectionRef, vector: Float32Array, k: number, filters: MetadataFilter[]): Promise<RankedDocument[]> {
    this.lastFilters = filters;
    this.lastVector = vector;
    return this.rank(collection, filters, (d) => dot(vector, d.vector), k, false);
  }
  async keywordIds(collection: CollectionRef, query: string, depth: number, filters: MetadataFilter[]) {
    return (await this.keyword(collection, query, depth, filters)).map((r) => ({ id: r.document.id, score: r.score }));
  }
  async vectorIds(collection: CollectionRef, vector: Float32Array, depth: number, filters: MetadataFilter[]) {
    return (await this.vector(collection, vector, depth, filters)).map((r) => ({ id: r.document.id, score: r.score }));
  }
  async getMany(collection: CollectionRef, ids: string[]) {
    const found = new Map<string, StoredDocument>();
    for (const id of ids) {
      const d = this.collections.get(keyOf(collection))?.get(id);
      if (d) found.set(id, stored(collection.name, d));
    }
    return found;
  }
  private rank(collection: CollectionRef, filters: MetadataFilter[], score: (d: IndexableDocument) => number, k: number, positiveOnly: boolean): RankedDocument[] {
    if (this.down) throw new UnavailableError('elasticsearch');
    return [...(this.collections.get(keyOf(collection))?.values() ?? [])]
      .filter((d) => filters.every((f) => matches(d.metadata[f.field], f)))
      .map((d) => ({ document: stored(collection.name, d), score: score(d) }))
      .filter((r) => !positiveOnly || r.score > 0)
      .sort((a, b) => b.score - a.score || (a.document.id < b.document.id ? -1 : 1))
      .slice(0, k);
  }
}

function matches(value: unknown, f: MetadataFilter): boolean {
  if (value === undefined) return false;
  if (f.kind === 'term') return f.anyOf.some((v) => String(v) === String(value));
  const v = value as number | string;
  return (f.gt === undefined || v > f.gt) && (f.gte === undefined || v >= f.gte) && (f.lt === undefined || v < f.lt) && (f.lte === undefined || v <= f.lte);
}

function stored(collection: string, d: IndexableDocument): StoredDocument {
  return { collection, id: d.id, title: d.title, text: d.text, metadata: d.metadata };
}

export class MemoryJobs implements IngestionJobStore {
  readonly jobs = new Map<string, NewIngestionJob>();
  readonly outcomes = new Map<string, { jobId: string; documentId: string; ok: boolean; reason: string | null }>();

  async create(job: NewIngestionJob) {
    this.jobs.set(job.id, job);
  }
  async delete(id: string) {
    this.jobs.delete(id);
  }
  async get(projectId: string, id: string, maxFailures: number): Promise<IngestionJob | null> {
    const job = this.jobs.get(id);
    if (!job || job.projectId !== projectId) return null;
    const mine = [...this.outcomes.values()].filter((o) => o.jobId === id);
    const processed = mine.filter((o) => o.ok).length;
    const failed = mine.length - processed;
    return {
      ...job,
      processed,
      failed,
      status: processed + failed >= job.submitted ? 'COMPLETED' : processed + failed ? 'RUNNING' : 'QUEUED',
      failures: mine
        .filter((o) => !o.ok)
        .slice(0, maxFailures)
        .map((o) => ({ documentId: o.documentId, reason: o.reason ?? '' })),
    };
  }
  async recordOutcomes(outcomes: Array<{ jobId: string; collection: string; documentId: string; ok: boolean; reason: string | null }>) {
    for (const o of outcomes) this.outcomes.set(`${o.jobId}/${o.documentId}`, o);
  }
  /** Outcomes here count at once. */
  async publishOutcomes() {}
}

export class MemoryQueue implements IngestQueue {
  readonly queued: IngestItem[] = [];
  down = false;
  async publish(items: IngestItem[]) {
    if (this.down) throw new UnavailableError('kafka');
    this.queued.push(...items);
  }
}

export class FakeWriter implements HypotheticalDocumentWriter {
  constructor(private readonly documents: string[]) {}
  async write(_query: string, count: number) {
    return this.documents.slice(0, count);
  }
}
