// Collections as Elasticsearch indices, one per (project, collection) (see collection-names.es.ts
// and collection-index.es.ts).
import type { Client } from '@elastic/elasticsearch';
import { ConflictError } from '@llmops/platform';
import type { Collection, CollectionRef, CollectionWithCount, MetadataFieldType } from '../domain/model';
import type { CollectionStore } from '../domain/ports';
import { collectionFromMeta, collectionIndexBody, type VectorIndexOptions } from './collection-index.es';
import type { CollectionIndexNames } from './collection-names.es';
import { esErrorType, guardEs } from './es-errors';

type Properties = Record<string, { type?: string; properties?: Properties }>;

export class EsCollections implements CollectionStore {
  constructor(
    private readonly es: Client,
    private readonly names: CollectionIndexNames,
    private readonly vectors: VectorIndexOptions,
  ) {}

  create(collection: Collection): Promise<void> {
    return guardEs(async () => {
      try {
        await this.es.indices.create({ index: this.names.indexOf(collection), ...collectionIndexBody(collection, this.vectors) });
      } catch (err) {
        if (esErrorType(err) === 'resource_already_exists_exception') throw new ConflictError(`collection ${collection.name} already exists`, { field: 'name' });
        throw err;
      }
    });
  }

  get(ref: CollectionRef): Promise<Collection | null> {
    return guardEs(async () => {
      const mapping = await this.mapping(ref);
      return mapping ? collectionFromMeta(ref, mapping._meta) : null;
    });
  }

  list(projectId: string): Promise<CollectionWithCount[]> {
    return guardEs(async () => {
      const pattern = this.names.patternOf(projectId);
      const [mappings, counts] = await Promise.all([
        this.es.indices.getMapping({ index: pattern }),
        this.es.cat.indices({ index: pattern, format: 'json', h: ['index', 'docs.count'] }),
      ]);
      const countOf = new Map(counts.map((r) => [String(r.index), Number(r['docs.count'] ?? 0)]));
      return Object.entries(mappings)
        .flatMap(([index, m]) => {
          const ref = this.names.parse(index);
          const c = ref?.projectId === projectId ? collectionFromMeta(ref, m.mappings._meta) : null;
          return c ? [{ ...c, documentCount: countOf.get(index) ?? 0 }] : [];
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  count(ref: CollectionRef): Promise<number> {
    return guardEs(async () => {
      try {
        return (await this.es.count({ index: this.names.indexOf(ref) })).count;
      } catch (err) {
        if (esErrorType(err) === 'index_not_found_exception') return 0;
        throw err;
      }
    });
  }

  delete(ref: CollectionRef): Promise<boolean> {
    return guardEs(async () => {
      try {
        await this.es.indices.delete({ index: this.names.indexOf(ref) });
        return true;
      } catch (err) {
        if (esErrorType(err) === 'index_not_found_exception') return false;
        throw err;
      }
    });
  }

  metadataFields(ref: CollectionRef): Promise<Map<string, MetadataFieldType>> {
    return guardEs(async () => {
      const fields = new Map<string, MetadataFieldType>();
      const metadata = (await this.mapping(ref))?.properties?.['metadata']?.properties ?? {};
      const walk = (props: Properties, path: string) => {
        for (const [key, p] of Object.entries(props)) {
          const at = path ? `${path}.${key}` : key;
          if (p.properties) walk(p.properties, at);
          else fields.set(at, fieldType(p.type));
        }
      };
      walk(metadata as Properties, '');
      return fields;
    });
  }

  private async mapping(ref: CollectionRef): Promise<{ _meta?: unknown; properties?: Properties } | null> {
    try {
      const res = await this.es.indices.getMapping({ index: this.names.indexOf(ref) });
      return (Object.values(res)[0]?.mappings as { _meta?: unknown; properties?: Properties } | undefined) ?? null;
    } catch (err) {
      if (esErrorType(err) === 'index_not_found_exception') return null;
      throw err;
    }
  }
}

function fieldType(type: string | undefined): MetadataFieldType {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
      return 'keyword';
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
    case 'unsigned_long':
      return 'number';
    case 'date':
    case 'date_nanos':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'text':
    case 'match_only_text':
      return 'text';
    default:
      return 'other';
  }
}
