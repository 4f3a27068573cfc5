import { DateTimeScalar } from '@llmops/platform';
import type { DatasetService } from '../domain/datasets';

export interface Context {
  datasets: DatasetService;
}

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    datasets: (_: unknown, __: unknown, ctx: Context) => ctx.datasets.list(),
  },
  Mutation: {
    createDataset: (_: unknown, { input }: { input: { name: string; description?: string | null } }, ctx: Context) =>
      ctx.datasets.create({ name: input.name, description: input.description ?? null }),
  },
  Dataset: {
    __resolveReference: (ref: { id: string }, ctx: Context) => ctx.datasets.get(ref.id),
  },
};
