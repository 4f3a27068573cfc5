// Query-adapter training as an operation of the service: a job with progress that embeds the
// data set's training pairs with the base model, trains a linear adapter, stores it as the next
// version of its name and serves it from the towers that follow that name.
import { randomUUID } from 'node:crypto';
import { ConflictError, InputError } from '@llmops/platform';
import {
  LinearQueryAdapter,
  adapterArtifactKind,
  adapterLoss,
  adapterNamePattern,
  type AdapterManifest,
  type RetrievalMetrics,
  type TrainingData,
} from './adapter-model';
import { seededRandom, shuffle, trainLinearAdapter, type PairIndex, type TrainingOptions } from './adapter-training';
import { embedWithTower, type EmbeddingService } from './embedding-service';
import { UnknownReferenceError } from './errors';
import type { AdapterStore, TrainingDataSource } from './ports';

export interface TrainAdapterRequest {
  name: string;
  /** Catalog name of a loaded base model; empty: the default model's query-tower base. */
  baseModel: string | null;
  dataset: string;
  split: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  temperature: number;
  /** Share of the split's queries held out for validation. */
  validationFraction: number;
  seed: number;
}

export const trainingDefaults = {
  split: 'train',
  epochs: 8,
  batchSize: 32,
  learningRate: 0.0005,
  temperature: 0.05,
  validationFraction: 0.1,
  seed: 42,
} as const;

export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export type JobPhase = 'EMBEDDING_DOCUMENTS' | 'EMBEDDING_QUERIES' | 'TRAINING' | 'SAVING' | 'DONE';

export interface TrainingJob {
  id: string;
  adapterName: string;
  baseModel: string;
  dataset: string;
  status: JobStatus;
  phase: JobPhase;
  /** 0 to 1. */
  progress: number;
  message: string;
  epoch: number;
  epochs: number;
  trainLoss: number | null;
  validation: RetrievalMetrics | null;
  adapter: AdapterManifest | null;
  /** Embedding models that serve the new version now. */
  servedBy: string[];
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

const embedChunk = 32;
const keptJobs = 20;

export class TrainingJobs {
  private readonly jobs = new Map<string, TrainingJob>();
  /** One job at a time: training competes with serving for the model's threads. */
  private busy = false;

  constructor(
    private readonly embeddings: EmbeddingService,
    private readonly data: TrainingDataSource,
    private readonly store: AdapterStore,
    private readonly onUpdate: (job: TrainingJob) => void = () => {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(id: string): TrainingJob {
    const job = this.jobs.get(id);
    if (!job) throw new UnknownReferenceError('AdapterTrainingJob', id, 'id', []);
    return job;
  }

  list(): TrainingJob[] {
    return [...this.jobs.values()].reverse();
  }

  /** Validates, loads the data set, then trains in the background; `done` settles with the job. */
  async start(request: TrainAdapterRequest): Promise<{ job: TrainingJob; done: Promise<TrainingJob> }> {
    const options = validateTrainRequest(request);
    if (this.busy) throw new ConflictError('an adapter training job is already running', { field: 'input' });
    const tower = this.baseTowers(request.baseModel);
    this.busy = true;
    let data: TrainingData | null;
    try {
      data = await this.data.load(request.dataset, 'train');
      if (!data) throw new UnknownReferenceError('Dataset', request.dataset, 'input.dataset', await this.data.list());
      if (data.pairs.length < 2) throw new InputError(`input.dataset: ${request.dataset} has fewer than 2 training pairs`, 'input.dataset');
      splitQueries(data, options, request.dataset);
    } catch (err) {
      this.busy = false;
      throw err;
    }
    const job: TrainingJob = {
      id: randomUUID(),
      adapterName: request.name,
      baseModel: tower.base,
      dataset: request.dataset,
      status: 'RUNNING',
      phase: 'EMBEDDING_DOCUMENTS',
      progress: 0,
      message: 'starting',
      epoch: 0,
      epochs: options.epochs,
      trainLoss: null,
      validation: null,
      adapter: null,
      servedBy: [],
      error: null,
      startedAt: this.now(),
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    for (const old of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - keptJobs))) this.jobs.delete(old);
    const done = this.run(job, tower, data, request, options)
      .catch((err: unknown) => {
        this.update(job, { status: 'FAILED', error: err instanceof Error ? err.message : String(err), finishedAt: this.now() });
      })
      .then(() => {
        this.busy = false;
        return job;
      });
    return { job, done };
  }

  private baseTowers(baseModel: string | null) {
    const name = baseModel || this.embeddings.defaultModel.query.base.name;
    const towers = this.embeddings.models.flatMap((m) => [m.query, m.document]);
    const tower = towers.find((t) => t.base.name === name);
    if (!tower) {
      const loaded = [...new Set(towers.map((t) => t.base.name))];
      throw new UnknownReferenceError('base model', name, 'input.baseModel', loaded);
    }
    const { runner, base } = tower;
    return {
      base: base.name,
      dimensions: base.dimensions,
      query: { runner, prefix: base.queryPrefix, adapter: null },
      document: { runner, prefix: base.documentPrefix, adapter: null },
    };
  }

  private update(job: TrainingJob, patch: Partial<TrainingJob>): void {
    Object.assign(job, patch);
    this.onUpdate(job);
  }

  private async run(
    job: TrainingJob,
    tower: ReturnType<TrainingJobs['baseTowers']>,
    data: TrainingData,
    request: TrainAdapterRequest,
    options: TrainingOptions & { validationFraction: number },
  ): Promise<void> {
    const { queryIds, heldOut } = splitQueries(data, options, request.dataset);
    const documentIds = [...new Set(data.pairs.map((p) => p.documentId))];
    const docIndex = new Map(documentIds.map((id, i) => [id, i]));
    const queryIndex = new Map(queryIds.map((id, i) => [id, i]));

    const embedAll = async (texts: string[], side: 'query' | 'document', phase: JobPhase, from: number, to: number) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += embedChunk) {
        const chunk = texts.slice(i, i + embedChunk);
        out.push(...(await embedWithTower(tower[side], chunk, undefined, 'batch')).vectors);
        this.update(job, {
          phase,
          progress: from + ((to - from) * out.length) / texts.length,
          message: `embedded ${out.length}/${texts.length} ${side === 'query' ? 'queries' : 'documents'}`,
        });
      }
      return out;
    };
    const documents = await embedAll(documentIds.map((id) => data.documents.get(id)!), 'document', 'EMBEDDING_DOCUMENTS', 0, 0.75);
    const queries = await embedAll(queryIds.map((id) => data.queries.get(id)!), 'query', 'EMBEDDING_QUERIES', 0.75, 0.8);

    const pairs = data.pairs.map((p) => ({ query: queryIndex.get(p.queryId)!, document: docIndex.get(p.documentId)!, held: heldOut.has(p.queryId) }));
    const toIndex = ({ query, document }: PairIndex) => ({ query, document });
    const set = {
      dimensions: tower.dimensions,
      queries,
      documents,
      train: pairs.filter((p) => !p.held).map(toIndex),
      validation: pairs.filter((p) => p.held).map(toIndex),
    };
    this.update(job, { phase: 'TRAINING', progress: 0.8, message: `training on ${set.train.length} pairs` });
    const trained = await trainLinearAdapter(set, options, {
      yieldControl: () => new Promise((resolve) => setImmediate(resolve)),
      onStep: (s) =>
        this.update(job, {
          epoch: s.epoch,
          trainLoss: s.trainLoss,
          progress: 0.8 + (0.18 * (s.epoch - 1 + s.batch / s.batches)) / options.epochs,
          message: `epoch ${s.epoch}/${options.epochs}, batch ${s.batch}/${s.batches}, loss ${s.trainLoss.toFixed(4)}`,
        }),
      onEpoch: (r) => this.update(job, { validation: r.validation }),
    });

    this.update(job, { phase: 'SAVING', progress: 0.99, message: 'saving the artifact' });
    const manifest = await this.store.save({
      name: request.name,
      kind: adapterArtifactKind,
      dimensions: tower.dimensions,
      baseModel: tower.base,
      data: {
        dataset: request.dataset,
        split: 'train',
        pairs: data.pairs.length,
        trainQueries: queryIds.length - heldOut.size,
        validationQueries: heldOut.size,
        documents: documentIds.length,
      },
      training: {
        loss: adapterLoss,
        optimizer: 'adam',
        epochs: options.epochs,
        selectedEpoch: trained.selectedEpoch,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        temperature: options.temperature,
        seed: options.seed,
        history: trained.history,
      },
      validation: { before: trained.before, after: trained.after },
      createdAt: this.now().toISOString(),
      weights: trained.weights,
    });
    const servedBy = this.embeddings.installAdapter(new LinearQueryAdapter(manifest, trained.weights));
    this.update(job, {
      status: 'SUCCEEDED',
      phase: 'DONE',
      progress: 1,
      message: `stored ${manifest.name}@${manifest.version} (epoch ${trained.selectedEpoch} kept)`,
      validation: trained.after,
      adapter: manifest,
      servedBy,
      finishedAt: this.now(),
    });
  }
}

/**
 * Holds out whole queries, so that validation measures queries the adapter has not seen. The kept
 * epoch is chosen on them: with none held out every epoch would score alike and epoch 0, the
 * identity, would be kept, a new version that changes nothing reported as a success. So a job
 * that would hold out no query (validationFraction 0, or too few queries for it), or leave none
 * to train on, is refused naming validationFraction.
 */
function splitQueries(data: TrainingData, options: { validationFraction: number; seed: number }, dataset: string) {
  const queryIds = shuffle([...new Set(data.pairs.map((p) => p.queryId))].sort(), seededRandom(options.seed));
  const held = Math.round(queryIds.length * options.validationFraction);
  if (held === 0) {
    throw new InputError(
      `input.validationFraction: ${options.validationFraction} of the ${queryIds.length} queries of ${dataset} holds out none to choose the epoch on; ` +
        `give at least ${Math.min(0.5, Math.ceil((0.5 / queryIds.length) * 1000) / 1000)}`,
      'input.validationFraction',
    );
  }
  if (held >= queryIds.length) {
    throw new InputError(
      `input.validationFraction: ${options.validationFraction} of the ${queryIds.length} queries of ${dataset} leaves none to train on; the data set needs more queries`,
      'input.validationFraction',
    );
  }
  return { queryIds, heldOut: new Set(queryIds.slice(0, held)) };
}

function validateTrainRequest(r: TrainAdapterRequest): TrainingOptions & { validationFraction: number } {
  if (!adapterNamePattern.test(r.name)) {
    throw new InputError('input.name: 1-64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit', 'input.name');
  }
  if (r.split !== 'train') {
    throw new InputError(`input.split: only the train split may be used for training (got "${r.split}")`, 'input.split');
  }
  if (!adapterNamePattern.test(r.dataset)) throw new InputError('input.dataset: not a data set name', 'input.dataset');
  const range = (field: string, value: number, min: number, max: number, integer: boolean) => {
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new InputError(`input.${field}: must be ${integer ? 'an integer ' : ''}between ${min} and ${max}`, `input.${field}`);
    }
  };
  range('epochs', r.epochs, 1, 100, true);
  range('batchSize', r.batchSize, 2, 512, true);
  range('learningRate', r.learningRate, 1e-7, 1, false);
  range('temperature', r.temperature, 0.001, 10, false);
  range('validationFraction', r.validationFraction, 0, 0.5, false);
  range('seed', r.seed, 0, 2 ** 31 - 1, true);
  return { epochs: r.epochs, batchSize: r.batchSize, learningRate: r.learningRate, temperature: r.temperature, seed: r.seed, validationFraction: r.validationFraction };
}
