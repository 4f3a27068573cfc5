import { DateTimeScalar } from '@llmops/platform';
import type { AdapterManifest } from '../domain/adapter-model';
import type { EmbeddingModel, InputType, Tower } from '../domain/embedding-model';
import type { EmbeddingService } from '../domain/embedding-service';
import { trainingDefaults, type TrainingJob, type TrainingJobs } from '../domain/training-jobs';
import type { AdapterStore } from '../domain/ports';

export interface Context {
  embeddings: EmbeddingService;
  jobs: TrainingJobs;
  adapters: AdapterStore;
}

interface TrainInput {
  name: string;
  baseModel?: string | null;
  dataset?: string;
  split?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  temperature?: number;
  validationFraction?: number;
  seed?: number;
}

const towerView = (t: Tower) => ({
  baseModel: t.base.name,
  pooling: t.base.pooling,
  prefix: t.prefix,
  maxTokens: t.base.maxTokens,
  backend: t.runner.backend.kind,
  adapter: t.adapter ? adapterView(t.adapter.manifest) : null,
});

const modelView = (m: EmbeddingModel, ctx: Context) => ({
  name: m.name,
  dimensions: m.dimensions,
  pooling: m.query.base.pooling,
  queryPrefix: m.query.prefix,
  documentPrefix: m.document.prefix,
  towers: m.kind,
  queryTower: towerView(m.query),
  documentTower: towerView(m.document),
  isDefault: ctx.embeddings.defaultModel === m,
});

const adapterView = (a: AdapterManifest) => ({
  name: a.name,
  version: a.version,
  baseModel: a.baseModel,
  dimensions: a.dimensions,
  dataset: a.data.dataset,
  split: a.data.split,
  trainPairs: a.data.pairs,
  epochs: a.training.epochs,
  selectedEpoch: a.training.selectedEpoch,
  loss: a.training.loss,
  validationBefore: a.validation.before,
  validationAfter: a.validation.after,
  createdAt: new Date(a.createdAt),
});

const jobView = (j: TrainingJob) => ({ ...j, adapter: j.adapter ? adapterView(j.adapter) : null });

export const resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    embeddingModels: (_: unknown, __: unknown, ctx: Context) => ctx.embeddings.models.map((m) => modelView(m, ctx)),
    embed: async (_: unknown, args: { texts: string[]; model?: string | null; inputType?: InputType | null }, ctx: Context) => {
      const result = await ctx.embeddings.embed({ model: args.model ?? null, inputType: args.inputType ?? 'QUERY', texts: args.texts });
      return {
        model: result.model,
        inputType: result.inputType,
        dimensions: result.dimensions,
        embeddings: result.vectors.map((v, index) => ({
          index,
          vector: Array.from(v),
          tokenCount: result.tokenCounts[index],
          truncated: result.truncated[index],
        })),
      };
    },
    queryAdapters: async (_: unknown, __: unknown, ctx: Context) => (await ctx.adapters.list()).map(adapterView),
    adapterTrainingJob: (_: unknown, args: { id: string }, ctx: Context) => jobView(ctx.jobs.get(args.id)),
  },
  Mutation: {
    trainQueryAdapter: async (_: unknown, { input }: { input: TrainInput }, ctx: Context) => {
      const { job } = await ctx.jobs.start({
        name: input.name,
        baseModel: input.baseModel ?? null,
        dataset: input.dataset ?? 'beir-scifact',
        split: input.split ?? trainingDefaults.split,
        epochs: input.epochs ?? trainingDefaults.epochs,
        batchSize: input.batchSize ?? trainingDefaults.batchSize,
        learningRate: input.learningRate ?? trainingDefaults.learningRate,
        temperature: input.temperature ?? trainingDefaults.temperature,
        validationFraction: input.validationFraction ?? trainingDefaults.validationFraction,
        seed: input.seed ?? trainingDefaults.seed,
      });
      return jobView(job);
    },
  },
  EmbeddingModel: {
    __resolveReference: (ref: { name: string }, ctx: Context) => {
      const model = ctx.embeddings.findModel(ref.name);
      return model ? modelView(model, ctx) : null;
    },
  },
};
