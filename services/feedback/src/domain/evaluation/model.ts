// Evaluation runs: a prompt version run over a dataset's items, each output scored by metrics.
import type { JudgeScale } from './text-metrics';

export const evaluationMetrics = ['EXACT_MATCH', 'ROUGE_L', 'EMBEDDING_SIMILARITY', 'CITATION_PRECISION', 'JUDGE'] as const;
export type EvaluationMetric = (typeof evaluationMetrics)[number];

export const runStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** A registered prompt: by version number, by alias, or the newest when neither is given. */
export interface PromptRef {
  name: string;
  version: number | null;
  alias: string | null;
}

export interface GenerationParameters {
  maxTokens: number | null;
  temperature: number | null;
  seed: number | null;
}

export interface NewEvaluationRun {
  datasetId: string;
  prompt: PromptRef;
  metrics: EvaluationMetric[];
  judgePrompt: PromptRef | null;
  judgeScale: JudgeScale;
  parameters: GenerationParameters;
}

export interface EvaluationRun extends NewEvaluationRun {
  id: string;
  status: RunStatus;
  /** Items in the dataset when the run started: later additions are not part of it. */
  total: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface RunProgress {
  processed: number;
  /** Items whose generation failed (no scores). */
  failed: number;
  /** Per metric: mean of the item scores, and how many items had one. */
  means: Array<{ metric: EvaluationMetric; mean: number | null; count: number }>;
}

export interface MetricScore {
  metric: EvaluationMetric;
  /** Null when the metric does not apply (no expected output) or failed (see error). */
  value: number | null;
  error: string | null;
}

/** One dataset item as a run scored it; stored once and never redone. */
export interface ItemResult {
  runId: string;
  itemId: string;
  output: string | null;
  generationId: string | null;
  scores: MetricScore[];
  error: string | null;
  latencyMs: number;
  createdAt: Date;
}

export const isFinished = (status: RunStatus): boolean => status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
