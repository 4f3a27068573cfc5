// Collections: a named set of documents bound to one embedding model. Lookups are cached for a
// second per replica, so a search costs no extra round trip to Elasticsearch.
import { InputError } from '@llmops/platform';
import type { Collection, CollectionWithCount, MetadataFieldType, MetadataFilter, NewCollection } from './model';
import type { CollectionStore } from './ports';
import type { EncoderBindings } from './encoder-bindings';
import { UnknownReferenceError } from './errors';
import { checkFilters } from './filters';
import { isCollectionName, validateCollectionName, validateDescription } from './validation';

interface Cached<T> {
  at: number;
  value: T;
}

export class CollectionService {
  private readonly collections = new Map<string, Cached<Collection | null>>();
  private readonly fields = new Map<string, Cached<Map<string, MetadataFieldType>>>();

  constructor(
    private readonly store: CollectionStore,
    private readonly bindings: EncoderBindings,
    private readonly cacheMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: NewCollection): Promise<CollectionWithCount> {
    validateCollectionName(input.name);
    validateDescription(input.description);
    if (input.model !== null && !input.model.trim()) throw new InputError('model: must not be blank (omit it for the default model)', 'model');
    const encoder = await this.bindings.bind(input.model);
    const collection: Collection = { name: input.name, description: input.description, encoder, createdAt: new Date(this.now()) };
    await this.store.create(collection);
    this.collections.delete(input.name);
    return { ...collection, documentCount: 0 };
  }

  /** The collection, or NOT_FOUND naming `field`. */
  async get(name: string, field = 'name'): Promise<Collection> {
    validateCollectionName(name, field);
    const c = await this.find(name);
    if (!c) throw new UnknownReferenceError('Collection', name, field);
    return c;
  }

  /** The collection, or null (also for a name no collection can have). */
  async find(name: string): Promise<Collection | null> {
    if (!isCollectionName(name)) return null;
    const hit = this.collections.get(name);
    if (hit && this.now() - hit.at <= this.cacheMs) return hit.value;
    const value = await this.store.get(name);
    this.collections.set(name, { at: this.now(), value });
    return value;
  }

  list(): Promise<CollectionWithCount[]> {
    return this.store.list();
  }

  count(name: string): Promise<number> {
    return this.store.count(name);
  }

  async delete(name: string): Promise<boolean> {
    validateCollectionName(name);
    const deleted = await this.store.delete(name);
    this.collections.delete(name);
    this.fields.delete(name);
    return deleted;
  }

  /** Checks filters against the collection's metadata fields (fetched again once when one is unknown). */
  async checkFilters(name: string, filters: MetadataFilter[]): Promise<MetadataFilter[]> {
    if (filters.length === 0) return filters;
    let fields = await this.metadataFields(name, false);
    if (filters.some((f) => !fields.has(f.field))) fields = await this.metadataFields(name, true);
    return checkFilters(filters, fields);
  }

  private async metadataFields(name: string, fresh: boolean): Promise<Map<string, MetadataFieldType>> {
    const hit = this.fields.get(name);
    if (!fresh && hit && this.now() - hit.at <= this.cacheMs) return hit.value;
    const value = await this.store.metadataFields(name);
    this.fields.set(name, { at: this.now(), value });
    return value;
  }
}
