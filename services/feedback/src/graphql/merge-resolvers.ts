// Joins the resolver maps of the service's features: fields of the same type are merged, so each
// feature keeps its resolvers in a file of its own.
import type { ServeSubgraphOptions } from '@llmops/platform';

type ResolverMap = Record<string, unknown>;

export function mergeResolverMaps<TContext extends object>(...maps: object[]): ServeSubgraphOptions<TContext>['resolvers'] {
  const merged: ResolverMap = {};
  for (const map of maps as ResolverMap[]) {
    for (const [type, fields] of Object.entries(map)) {
      const prev = merged[type];
      const isFieldMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && v.constructor === Object;
      if (prev !== undefined && isFieldMap(prev) && isFieldMap(fields)) {
        const clash = Object.keys(fields).find((f) => f in prev);
        if (clash) throw new Error(`resolver ${type}.${clash} is defined twice`);
        merged[type] = { ...prev, ...fields };
      } else if (prev !== undefined && prev !== fields) {
        throw new Error(`resolver ${type} is defined twice`);
      } else {
        merged[type] = fields;
      }
    }
  }
  return merged as ServeSubgraphOptions<TContext>['resolvers'];
}
