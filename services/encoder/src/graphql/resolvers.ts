import type { EmbeddingModelSpec } from '../domain/catalog';

export interface Context {
  models: EmbeddingModelSpec[];
}

export const resolvers = {
  Query: {
    embeddingModels: (_: unknown, __: unknown, ctx: Context) => ctx.models,
  },
  EmbeddingModel: {
    __resolveReference: (ref: { name: string }, ctx: Context) => ctx.models.find((m) => m.name === ref.name) ?? null,
  },
};
