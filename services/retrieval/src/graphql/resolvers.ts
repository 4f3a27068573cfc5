import type { EsCollections } from '../adapters/collections.es';

export interface Context {
  collections: EsCollections;
}

export const resolvers = {
  Query: {
    collections: (_: unknown, __: unknown, ctx: Context) => ctx.collections.list(),
  },
  Collection: {
    __resolveReference: async (ref: { name: string }, ctx: Context) =>
      (await ctx.collections.list()).find((c) => c.name === ref.name) ?? null,
  },
};
