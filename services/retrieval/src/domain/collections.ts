// Collections: a named set of documents bound to one embedding model, in one project (names are
// unique per project; another project's collection is NOT_FOUND). Lookups are cached for a second
// per replica, so a search costs no extra round trip to Elasticsearch.
import { InputError } from '@llmops/platform';
import type { Collection, CollectionRef, CollectionWithCount, MetadataFieldType, MetadataFilter, NewCollection } from './model';
import type { CollectionStore } from './ports';
import type { EncoderBindings } from './encoder-bindings';
import { UnknownReferenceError } from './errors';
import { checkFilters } from './filters';
import { isCollectionName, validateCollectionName, validateDescription } from './validation';

interface Cached<T> {
  at: number;
  value: T;
}

/** The cache key of a collection: project ids have no NUL. */
const keyOf = (ref: CollectionRef) => `${ref.projectId}\u0000${ref.name}`;

export class CollectionService {
  private readonly collections = new Map<string, Cached<Collection | null>>();
  private readonly fields = new Map<string, Cached<Map<string, MetadataFieldType>>>();

  constructor(
    private readonly store: CollectionStore,
    private readonly bindings: EncoderBindings,
    private readonly cacheMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  async create(projectId: string, input: NewCollection): Promise<CollectionWithCount> {
    validateCollectionName(input.name);
    validateDescription(input.description);
    if (input.model !== null && !input.model.trim()) throw new InputError('model: must not be blank (omit it for the default model)', 'model');
    const encoder = await this.bindings.bind(input.model);
    const collection: Collection = { projectId, name: input.name, description: input.description, encoder, createdAt: new Date(this.now()) };
    await this.store.create(collection);
    this.collections.delete(keyOf(collection));
    return { ...collection, documentCount: 0 };
  }

  /** The project's collection, or NOT_FOUND naming `field`. */
  async get(projectId: string, name: string, field = 'name'): Promise<Collection> {
    validateCollectionName(name, field);
    const c = await this.find(projectId, name);
    if (!c) throw new UnknownReferenceError('Collection', name, field);
    return c;
  }

  /** The project's collection, or null (also for a name no collection can have). */
  async find(projectId: string, name: string): Promise<Collection | null> {
    if (!isCollectionName(name)) return null;
    const key = keyOf({ projectId, name });
    const hit = this.collections.get(key);
    if (hit && this.now() - hit.at <= this.cacheMs) return hit.value;
    const value = await this.store.get({ projectId, name });
    this.collections.set(key, { at: this.now(), value });
    return value;
  }

  list(projectId: string): Promise<CollectionWithCount[]> {
    return this.store.list(projectId);
  }

  count(collection: CollectionRef): Promise<number> {
    return this.store.count(collection);
  }

  async delete(projectId: string, name: string): Promise<boolean> {
    validateCollectionName(name);
    const ref = { projectId, name };
    const deleted = await this.store.delete(ref);
    this.collections.delete(keyOf(ref));
    this.fields.delete(keyOf(ref));
    return deleted;
  }

  /** Checks filters against the collection's metadata fields (fetched again once when one is unknown). */
  async checkFilters(collection: CollectionRef, filters: MetadataFilter[]): Promise<MetadataFilter[]> {
    if (filters.length === 0) return filters;
    let fields = await this.metadataFields(collection, false);
    if (filters.some((f) => !fields.has(f.field))) fields = await this.metadataFields(collection, true);
    return checkFilters(filters, fields);
  }

  private async metadataFields(collection: CollectionRef, fresh: boolean): Promise<Map<string, MetadataFieldType>> {
    const key = keyOf(collection);
    const hit = this.fields.get(key);
    if (!fresh && hit && this.now() - hit.at <= this.cacheMs) return hit.value;
    const value = await this.store.metadataFields({ projectId: collection.projectId, name: collection.name });
    this.fields.set(key, { at: this.now(), value });
    return value;
  }
}
