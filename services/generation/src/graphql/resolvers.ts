import type { GenerationModelSpec } from '../domain/catalog';

export interface Context {
  models: GenerationModelSpec[];
}

export const resolvers = {
  Query: {
    generationModels: (_: unknown, __: unknown, ctx: Context) => ctx.models,
  },
  GenerationModel: {
    __resolveReference: (ref: { name: string }, ctx: Context) => ctx.models.find((m) => m.name === ref.name) ?? null,
  },
};
