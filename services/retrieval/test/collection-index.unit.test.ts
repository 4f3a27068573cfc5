// The index a collection is created with: how its metadata is mapped (Elasticsearch applies the
// first dynamic template whose conditions match a new field).
import { collectionIndexBody } from '../src/adapters/collection-index.es';

const body = collectionIndexBody(
  { projectId: 'default', name: 'c', description: null, createdAt: new Date(0), encoder: { model: 'm', dimensions: 2, fingerprint: [1, 0] } },
  { type: 'hnsw', m: 16, efConstruction: 100 },
);

/** The mapping Elasticsearch gives a new metadata field that first arrives as JSON of this type. */
function dynamicMappingOf(matchMappingType: 'string' | 'long' | 'double'): unknown {
  for (const template of body.mappings.dynamic_templates) {
    const t = Object.values(template)[0] as { path_match: string; match_mapping_type: string | string[]; mapping: unknown };
    const types = ([] as string[]).concat(t.match_mapping_type);
    if (t.path_match === 'metadata.*' && (types.includes(matchMappingType) || types.includes('*'))) return t.mapping;
  }
  return null;
}

test('metadata numbers map to double whether the first one seen is whole or not', () => {
  // Left to Elasticsearch, a first {rating: 4} maps metadata.rating as long and a later 4.5 is
  // indexed as 4, so a range gte 4.5 misses it.
  expect(dynamicMappingOf('long')).toEqual({ type: 'double' });
  expect(dynamicMappingOf('double')).toEqual({ type: 'double' });
  expect(dynamicMappingOf('string')).toEqual({ type: 'keyword', ignore_above: 1024 });
});
