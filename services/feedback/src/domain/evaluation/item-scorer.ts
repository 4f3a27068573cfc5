// Scores one dataset item: generates the output through the generation service, then computes
// each requested metric from it. A metric that cannot be computed for the item records an error
// for that metric; it never gets a made-up value.
import { UnreachableCaseError } from '@llmops/platform';
import type { DatasetItem } from '../dataset-items';
import { describeError, isRunLevelError } from './errors';
import type { EvaluationMetric, EvaluationRun, ItemResult, MetricScore } from './model';
import type { Embedder, GeneratedText, Generator } from './ports';
import { citationPrecision, cosineSimilarity, exactMatch, parseJudgeScore, rougeL } from './text-metrics';

export interface ScorerDeps {
  generator: Generator;
  embedder: Embedder;
  now?: () => number;
}

type Scored = Omit<ItemResult, 'createdAt'>;

/**
 * Throws for run-level failures (a peer that cannot be reached, an unknown prompt, a refused
 * budget: isRunLevelError), for the item's generation and its judge alike, and when the signal
 * aborts: such items stay unscored so a resumed run does them.
 */
export async function scoreItem(run: EvaluationRun, item: DatasetItem, deps: ScorerDeps, signal: AbortSignal): Promise<Scored> {
  const now = deps.now ?? Date.now;
  const started = now();
  let generated: GeneratedText;
  try {
    generated = await deps.generator.generate(run.prompt, item.variables, run.parameters, signal);
  } catch (err) {
    if (signal.aborted || isRunLevelError(err)) throw err;
    return { runId: run.id, itemId: item.id, output: null, generationId: null, scores: [], error: describeError(err), latencyMs: now() - started };
  }
  const latencyMs = now() - started;
  const scores: MetricScore[] = [];
  for (const metric of run.metrics) {
    scores.push(await scoreMetric(metric, run, item, generated, deps, signal));
  }
  return { runId: run.id, itemId: item.id, output: generated.output, generationId: generated.generationId, scores, error: null, latencyMs };
}

async function scoreMetric(
  metric: EvaluationMetric,
  run: EvaluationRun,
  item: DatasetItem,
  generated: GeneratedText,
  deps: ScorerDeps,
  signal: AbortSignal,
): Promise<MetricScore> {
  const value = (v: number | null): MetricScore => ({ metric, value: v, error: null });
  const failure = (error: string): MetricScore => ({ metric, value: null, error });
  const expected = item.expectedOutput;
  try {
    switch (metric) {
      case 'EXACT_MATCH':
        return value(expected === null ? null : exactMatch(generated.output, expected));
      case 'ROUGE_L':
        return value(expected === null ? null : rougeL(generated.output, expected));
      case 'EMBEDDING_SIMILARITY': {
        if (expected === null) return value(null);
        if (generated.output.trim() === '') return failure('the output is empty: nothing to embed');
        const [a, b] = await deps.embedder.embed([generated.output, expected], signal);
        return value(cosineSimilarity(a!, b!));
      }
      case 'CITATION_PRECISION': {
        if (item.expectedDocumentIds.length === 0) return value(null);
        const precision = citationPrecision(generated.citedDocumentIds, item.expectedDocumentIds);
        return precision === null ? failure('the answer cites no documents') : value(precision);
      }
      case 'JUDGE': {
        if (!run.judgePrompt) return failure('no judge prompt was given');
        const judged = await deps.generator.generate(
          run.judgePrompt,
          { input: item.variables, output: generated.output, expected: expected ?? '' },
          run.parameters,
          signal,
        );
        const score = parseJudgeScore(judged.output, run.judgeScale);
        if (score === null) {
          return failure(`the judge's output holds no number from ${run.judgeScale.min} to ${run.judgeScale.max} (generation ${judged.generationId})`);
        }
        return value(score);
      }
      default:
        throw new UnreachableCaseError(metric);
    }
  } catch (err) {
    // The judge's prompt unknown, its generation refused for the budget: the run's problem, as for
    // the item's own generation (an item recorded with it would never be scored again).
    if (signal.aborted || err instanceof UnreachableCaseError || isRunLevelError(err)) throw err;
    return failure(describeError(err));
  }
}
