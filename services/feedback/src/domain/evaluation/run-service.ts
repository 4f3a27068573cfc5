// Evaluation runs: started, processed in the background with bounded concurrency, cancelled,
// resumed. Every scored item is stored as it finishes, so a resumed run (after a cancel, a
// failure or a restart of the service) only does the items that have no result yet. A service is
// one project's: its stores are bounded to the project, and its background work acts for it (so
// calls to peers sign it); the jobs of all projects are shared (RunJobs).
import { z } from 'zod';
import { ConflictError, InputError, NotFoundError, retryWithBackoff, runAs, serviceIdentity } from '@llmops/platform';
import type { DatasetItemStore } from '../dataset-items';
import { compareResults, type RunComparison } from './comparison';
import { describeError } from './errors';
import { scoreItem } from './item-scorer';
import { evaluationMetrics, isFinished, type EvaluationMetric, type EvaluationRun, type ItemResult, type NewEvaluationRun, type RunProgress } from './model';
import type { Embedder, EvaluationStore, Generator, ProgressLog } from './ports';
import type { RunJobs } from './run-jobs';

export interface RunServiceDeps {
  store: EvaluationStore;
  items: Pick<DatasetItemStore, 'datasetExists' | 'list'>;
  generator: Generator;
  embedder: Embedder;
  log: ProgressLog;
  /** Items scored at the same time within one run. */
  concurrency: number;
  /** The runs this process works on, of every project. */
  jobs: RunJobs;
  /** The project whose runs these are; the background work acts for it. */
  projectId: string;
}

const promptRef = z
  .object({
    name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    version: z.number().int().positive('must be a positive version number').nullable(),
    alias: z.string().min(1, 'must not be empty').nullable(),
  })
  .refine((r) => r.version === null || r.alias === null, { message: 'give a version or an alias, not both', path: ['alias'] });

const newRun = z
  .object({
    datasetId: z.uuid('must be a dataset id'),
    prompt: promptRef,
    metrics: z
      .array(z.enum(evaluationMetrics))
      .min(1, 'must name at least one metric')
      .refine((m) => new Set(m).size === m.length, 'must not repeat a metric'),
    judgePrompt: promptRef.nullable(),
    judgeScale: z
      .object({ min: z.number(), max: z.number() })
      .refine((s) => s.min < s.max, { message: 'min must be below max', path: ['max'] }),
    parameters: z.object({
      maxTokens: z.number().int().min(1, 'must be at least 1').max(8192, 'must be at most 8192').nullable(),
      temperature: z.number().min(0, 'must be at least 0').max(2, 'must be at most 2').nullable(),
      seed: z.number().int().min(0, 'must be at least 0').nullable(),
    }),
  })
  .refine((r) => !r.metrics.includes('JUDGE') || r.judgePrompt !== null, { message: 'the JUDGE metric needs a judge prompt', path: ['judgePrompt'] });

export class EvaluationRunService {
  constructor(private readonly deps: RunServiceDeps) {}

  async start(input: NewEvaluationRun): Promise<EvaluationRun> {
    const parsed = newRun.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = ['input', ...issue.path].join('.');
      throw new InputError(`${field}: ${issue.message}`, field);
    }
    const { items } = this.deps;
    if (!(await items.datasetExists(input.datasetId))) throw new NotFoundError('dataset', input.datasetId);
    if ((await items.list(input.datasetId, 1, null)).items.length === 0) {
      throw new InputError('input.datasetId: the dataset has no items to evaluate', 'input.datasetId');
    }
    const run = await this.deps.store.createRun(parsed.data as NewEvaluationRun);
    this.deps.log.info({ runId: run.id, datasetId: run.datasetId, total: run.total, prompt: run.prompt.name }, 'evaluation run created');
    this.launch(run.id);
    return run;
  }

  get(id: string): Promise<EvaluationRun | null> {
    return this.deps.store.getRun(id);
  }

  list(datasetId: string): Promise<EvaluationRun[]> {
    return this.deps.store.listRuns(datasetId);
  }

  progress(runId: string): Promise<RunProgress> {
    return this.deps.store.progress(runId);
  }

  async results(runId: string, first: number, after: string | null): Promise<{ items: ItemResult[]; hasNextPage: boolean }> {
    if (!Number.isInteger(first) || first < 1 || first > 200) throw new InputError('first: must be between 1 and 200', 'first');
    return this.deps.store.listResults(runId, first, after);
  }

  async cancel(id: string): Promise<EvaluationRun> {
    const run = await this.require(id);
    if (isFinished(run.status)) throw new ConflictError(`evaluation run ${id} is already ${run.status}`, { field: 'id', status: run.status });
    const cancelled = await this.deps.store.transition(id, ['PENDING', 'RUNNING'], 'CANCELLED');
    await this.deps.jobs.abort(id, new Error('evaluation run cancelled'));
    this.deps.log.info({ runId: id }, 'evaluation run cancelled');
    return cancelled ?? (await this.require(id));
  }

  /** Continues a cancelled, failed or interrupted run with the items it has not scored yet. */
  async resume(id: string): Promise<EvaluationRun> {
    const run = await this.require(id);
    if (run.status === 'SUCCEEDED') throw new ConflictError(`evaluation run ${id} has already SUCCEEDED`, { field: 'id', status: run.status });
    if (this.deps.jobs.has(id)) return run;
    const resumed = await this.deps.store.transition(id, ['PENDING', 'RUNNING', 'FAILED', 'CANCELLED'], 'RUNNING', null);
    if (!resumed) throw new ConflictError(`evaluation run ${id} changed status meanwhile`, { field: 'id' });
    this.launch(id);
    return resumed;
  }

  /** At boot: picks up the project's runs that were PENDING or RUNNING when the service last stopped. */
  async resumeUnfinished(): Promise<number> {
    const runs = await this.deps.store.listUnfinishedRuns();
    for (const run of runs) {
      this.deps.log.info({ runId: run.id }, 'resuming evaluation run after a restart');
      this.launch(run.id);
    }
    return runs.length;
  }

  /** Waits until the run's background processing (if any) ends. */
  settled(id: string): Promise<void> {
    return this.deps.jobs.settled(id);
  }

  async compare(a: string, b: string, metric: EvaluationMetric): Promise<RunComparison & { runA: EvaluationRun; runB: EvaluationRun }> {
    const [runA, runB] = await Promise.all([this.require(a, 'a'), this.require(b, 'b')]);
    if (runA.datasetId !== runB.datasetId) throw new InputError('b: the runs evaluated different datasets: items cannot be paired', 'b');
    for (const [field, run] of [['a', runA], ['b', runB]] as const) {
      if (!run.metrics.includes(metric)) throw new InputError(`metric: run ${field} did not score ${metric}`, 'metric');
    }
    const [resultsA, resultsB] = await Promise.all([this.deps.store.allResults(a), this.deps.store.allResults(b)]);
    return { ...compareResults(resultsA, resultsB, metric), runA, runB };
  }

  private async require(id: string, field = 'id'): Promise<EvaluationRun> {
    if (!z.uuid().safeParse(id).success) throw new InputError(`${field}: not an evaluation run id`, field);
    const run = await this.deps.store.getRun(id);
    if (!run) throw new NotFoundError('evaluation run', id);
    return run;
  }

  /** Works on the run in the background, as the service acting for the run's project. */
  private launch(id: string): void {
    const identity = serviceIdentity('feedback', this.deps.projectId);
    this.deps.jobs.launch(id, (signal) =>
      runAs(identity, () => this.execute(id, signal)).catch((err: unknown) => this.deps.log.error({ runId: id, err }, 'evaluation run crashed')),
    );
  }

  private async execute(id: string, signal: AbortSignal): Promise<void> {
    const release = await this.deps.store.claim(id);
    if (!release) {
      this.deps.log.info({ runId: id }, 'evaluation run is being processed by another instance');
      return;
    }
    try {
      await this.process(id, signal);
    } catch (err) {
      // The store failed outside an item (a status change, the list of pending items, the final
      // status), most likely a database blip: the run must not stay RUNNING with nobody working
      // on it. It ends FAILED, with the cause, to be resumed. (On shutdown it stays RUNNING: the
      // next start resumes it.)
      if (!signal.aborted) await this.failAfterCrash(id, err);
      throw err;
    } finally {
      await release().catch((err: unknown) => this.deps.log.error({ runId: id, err }, 'could not release the evaluation run'));
    }
  }

  private async failAfterCrash(id: string, cause: unknown): Promise<void> {
    try {
      await retryWithBackoff(() => this.deps.store.transition(id, ['PENDING', 'RUNNING'], 'FAILED', describeError(cause)), {
        maxAttempts: 6,
        initialMs: 500,
        maxMs: 10_000,
      });
    } catch (err) {
      this.deps.log.error({ runId: id, err }, 'could not mark the crashed evaluation run FAILED: it reads RUNNING until the service restarts');
    }
  }

  private async process(id: string, outer: AbortSignal): Promise<void> {
    const { store, log } = this.deps;
    const run = await store.transition(id, ['PENDING', 'RUNNING'], 'RUNNING');
    if (!run) return;
    // Also stopped when another instance cancels the run: its status is read after each item.
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(outer.reason);
    outer.addEventListener('abort', onOuterAbort, { once: true });
    const signal = controller.signal;
    const queue = await store.pendingItems(run);
    let processed = run.total - queue.length;
    log.info({ runId: id, processed, total: run.total }, processed === 0 ? 'evaluation run started' : 'evaluation run resumed');
    let failure: unknown = null;
    const worker = async () => {
      while (!signal.aborted && failure === null) {
        const item = queue.shift();
        if (!item) return;
        try {
          const result = await scoreItem(run, item, this.deps, signal);
          // Stored even when a cancel came meanwhile: the work is done and real.
          if (await store.saveResult(result)) processed++;
          log.info({ runId: id, itemId: item.id, processed, total: run.total, latencyMs: result.latencyMs, error: result.error }, 'evaluation progress');
          const current = await store.getRun(id);
          if (current?.status !== 'RUNNING') controller.abort(new Error(`the run is ${current?.status ?? 'gone'}`));
        } catch (err) {
          if (!signal.aborted) failure ??= err;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.deps.concurrency) }, worker));
    } finally {
      outer.removeEventListener('abort', onOuterAbort);
    }
    if (signal.aborted) {
      log.info({ runId: id, processed, total: run.total, reason: describeError(signal.reason) }, 'evaluation run interrupted');
      return;
    }
    if (failure !== null) {
      await store.transition(id, ['RUNNING'], 'FAILED', describeError(failure));
      log.error({ runId: id, processed, total: run.total, err: failure }, 'evaluation run failed: resume it once the cause is fixed');
      return;
    }
    await store.transition(id, ['RUNNING'], 'SUCCEEDED');
    log.info({ runId: id, processed, total: run.total }, 'evaluation run succeeded');
  }
}
