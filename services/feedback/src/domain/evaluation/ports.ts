// What the evaluation domain needs from the outside world; adapters implement these.
import type { DatasetItem } from '../dataset-items';
import type { EvaluationRun, GenerationParameters, ItemResult, NewEvaluationRun, PromptRef, RunProgress, RunStatus } from './model';

export interface EvaluationStore {
  /** Creates the run with total = the dataset's item count now. */
  createRun(input: NewEvaluationRun): Promise<EvaluationRun>;
  getRun(id: string): Promise<EvaluationRun | null>;
  listRuns(datasetId: string): Promise<EvaluationRun[]>;
  /**
   * Makes this process the one working on the run, until the returned release is called or the
   * process dies; null when another process (replica) holds it.
   */
  claim(runId: string): Promise<(() => Promise<void>) | null>;
  /** Runs a restarted service must pick up again. */
  listUnfinishedRuns(): Promise<EvaluationRun[]>;
  /**
   * Sets the status when the run's current status is one of `from`; returns the updated run, or
   * null when it was in another status (someone else moved it first).
   */
  transition(id: string, from: RunStatus[], to: RunStatus, error?: string | null): Promise<EvaluationRun | null>;
  /** The run's items (of its first `total`, in dataset order) that have no result yet. */
  pendingItems(run: EvaluationRun): Promise<DatasetItem[]>;
  /** Stores an item's result; false when one was already stored (it is kept, not replaced). */
  saveResult(result: Omit<ItemResult, 'createdAt'>): Promise<boolean>;
  progress(runId: string): Promise<RunProgress>;
  /** Results in dataset order, `after` an item id. */
  listResults(runId: string, first: number, after: string | null): Promise<{ items: ItemResult[]; hasNextPage: boolean }>;
  /** Every result of the run, for comparisons. */
  allResults(runId: string): Promise<ItemResult[]>;
}

export interface GeneratedText {
  generationId: string;
  output: string;
  /** Documents the prompt's augmentation steps retrieved and the answer cites. */
  citedDocumentIds: string[];
}

export interface Generator {
  /** Throws UnavailableError when the generation service cannot be reached. */
  generate(prompt: PromptRef, variables: Record<string, unknown>, parameters: GenerationParameters, signal: AbortSignal): Promise<GeneratedText>;
}

export interface Embedder {
  /** Unit-length or not: callers use cosine similarity. */
  embed(texts: string[], signal: AbortSignal): Promise<Float32Array[]>;
}

export interface ProgressLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
