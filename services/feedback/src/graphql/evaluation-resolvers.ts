// GraphQL for dataset items and evaluation runs: maps arguments to the domain and back.
import { InputError, JSONScalar } from '@llmops/platform';
import type { DatasetItem, DatasetItemService } from '../domain/dataset-items';
import type { EvaluationMetric, EvaluationRun, ItemResult, PromptRef, RunProgress } from '../domain/evaluation/model';
import type { EvaluationRunService } from '../domain/evaluation/run-service';

export interface EvaluationContext {
  datasetItems: DatasetItemService;
  evaluations: EvaluationRunService;
}

interface PromptRefInput {
  name: string;
  version?: number | null;
  alias?: string | null;
}

interface StartInput {
  prompt: PromptRefInput;
  datasetId: string;
  metrics: EvaluationMetric[];
  judgePrompt?: PromptRefInput | null;
  judgeScale?: { min: number; max: number } | null;
  parameters?: { maxTokens?: number | null; temperature?: number | null; seed?: number | null } | null;
}

interface ItemInput {
  variables: unknown;
  expectedOutput?: string | null;
  expectedDocumentIds?: string[] | null;
}

const toRef = (r: PromptRefInput): PromptRef => ({ name: r.name, version: r.version ?? null, alias: r.alias ?? null });

const encodePosition = (position: number) => Buffer.from(`item:${position}`, 'utf8').toString('base64url');
const decodePosition = (cursor: string): number => {
  const match = /^item:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || encodePosition(Number(match[1])) !== cursor) throw new InputError('after: not a cursor returned by this API', 'after');
  return Number(match[1]);
};
const encodeItemId = (id: string) => Buffer.from(`result:${id}`, 'utf8').toString('base64url');
const decodeItemId = (cursor: string): string => {
  const match = /^result:([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || encodeItemId(match[1]!) !== cursor) throw new InputError('after: not a cursor returned by this API', 'after');
  return match[1]!;
};

// The run's progress, read once per run object and request however many of its fields ask.
const progressOf = new WeakMap<EvaluationRun, Promise<RunProgress>>();
function progress(run: EvaluationRun, ctx: EvaluationContext): Promise<RunProgress> {
  let p = progressOf.get(run);
  if (!p) {
    p = ctx.evaluations.progress(run.id);
    progressOf.set(run, p);
  }
  return p;
}

const notAUuid = (id: string) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export const evaluationResolvers = {
  JSON: JSONScalar,
  Query: {
    evaluationRun: (_: unknown, { id }: { id: string }, ctx: EvaluationContext) => (notAUuid(id) ? null : ctx.evaluations.get(id)),
    evaluationRuns: (_: unknown, { datasetId }: { datasetId: string }, ctx: EvaluationContext) =>
      notAUuid(datasetId) ? [] : ctx.evaluations.list(datasetId),
    compareEvaluationRuns: (_: unknown, args: { a: string; b: string; metric: EvaluationMetric }, ctx: EvaluationContext) =>
      ctx.evaluations.compare(args.a, args.b, args.metric),
  },
  Mutation: {
    addDatasetItems: (_: unknown, args: { datasetId: string; items: ItemInput[] }, ctx: EvaluationContext) => {
      if (notAUuid(args.datasetId)) throw new InputError('datasetId: not a dataset id', 'datasetId');
      return ctx.datasetItems.add(
        args.datasetId,
        args.items.map((i) => ({
          variables: i.variables as Record<string, unknown>,
          expectedOutput: i.expectedOutput ?? null,
          expectedDocumentIds: i.expectedDocumentIds ?? [],
        })),
      );
    },
    startEvaluationRun: (_: unknown, { input }: { input: StartInput }, ctx: EvaluationContext) =>
      ctx.evaluations.start({
        datasetId: input.datasetId,
        prompt: toRef(input.prompt),
        metrics: input.metrics,
        judgePrompt: input.judgePrompt ? toRef(input.judgePrompt) : null,
        judgeScale: input.judgeScale ?? { min: 1, max: 5 },
        parameters: {
          maxTokens: input.parameters?.maxTokens ?? null,
          temperature: input.parameters?.temperature ?? null,
          seed: input.parameters?.seed ?? null,
        },
      }),
    cancelEvaluationRun: (_: unknown, { id }: { id: string }, ctx: EvaluationContext) => ctx.evaluations.cancel(id),
    resumeEvaluationRun: (_: unknown, { id }: { id: string }, ctx: EvaluationContext) => ctx.evaluations.resume(id),
  },
  Dataset: {
    items: async (dataset: { id: string }, args: { first: number; after?: string | null }, ctx: EvaluationContext) => {
      const page = await ctx.datasetItems.list(dataset.id, args.first, args.after ? decodePosition(args.after) : null);
      const edges = page.items.map((node) => ({ cursor: encodePosition(node.position), node }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  },
  EvaluationRun: {
    __resolveReference: (ref: { id: string }, ctx: EvaluationContext) => (notAUuid(ref.id) ? null : ctx.evaluations.get(ref.id)),
    dataset: (run: EvaluationRun) => ({ __typename: 'Dataset', id: run.datasetId }),
    processed: async (run: EvaluationRun, _: unknown, ctx: EvaluationContext) => (await progress(run, ctx)).processed,
    failed: async (run: EvaluationRun, _: unknown, ctx: EvaluationContext) => (await progress(run, ctx)).failed,
    metricMeans: async (run: EvaluationRun, _: unknown, ctx: EvaluationContext) => (await progress(run, ctx)).means,
    results: async (run: EvaluationRun, args: { first: number; after?: string | null }, ctx: EvaluationContext) => {
      const page = await ctx.evaluations.results(run.id, args.first, args.after ? decodeItemId(args.after) : null);
      const edges = page.items.map((node) => ({ cursor: encodeItemId(node.itemId), node }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  },
  EvaluationResult: {
    item: async (result: ItemResult, _: unknown, ctx: EvaluationContext): Promise<DatasetItem> => {
      const item = await ctx.datasetItems.get(result.itemId);
      if (!item) throw new Error(`dataset item ${result.itemId} of an evaluation result is missing`);
      return item;
    },
  },
};
