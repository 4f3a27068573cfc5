// Item-by-item comparison of two runs over the same dataset on one metric.
import type { EvaluationMetric, ItemResult } from './model';
import { wilcoxonSignedRank } from './statistics';

export interface RunComparison {
  metric: EvaluationMetric;
  /** Items both runs scored on the metric. */
  pairs: number;
  meanA: number | null;
  meanB: number | null;
  /** Mean of (b − a) over the pairs: positive when run B scores higher. */
  meanDifference: number | null;
  /** Pairs where B scored higher / lower / the same as A. */
  wins: number;
  losses: number;
  ties: number;
  test: 'WILCOXON_SIGNED_RANK';
  /** W+, the rank sum of the pairs B won. */
  statistic: number;
  zScore: number;
  pValue: number;
}

const scoreOf = (r: ItemResult, metric: EvaluationMetric): number | null => r.scores.find((s) => s.metric === metric)?.value ?? null;

export function compareResults(a: ItemResult[], b: ItemResult[], metric: EvaluationMetric): RunComparison {
  const bByItem = new Map(b.map((r) => [r.itemId, r]));
  const pairs: Array<[number, number]> = [];
  for (const ra of a) {
    const rb = bByItem.get(ra.itemId);
    if (!rb) continue;
    const sa = scoreOf(ra, metric);
    const sb = scoreOf(rb, metric);
    if (sa !== null && sb !== null) pairs.push([sa, sb]);
  }
  const differences = pairs.map(([x, y]) => y - x);
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);
  const test = wilcoxonSignedRank(differences);
  return {
    metric,
    pairs: pairs.length,
    meanA: mean(pairs.map(([x]) => x)),
    meanB: mean(pairs.map(([, y]) => y)),
    meanDifference: mean(differences),
    wins: differences.filter((d) => d > 0).length,
    losses: differences.filter((d) => d < 0).length,
    ties: differences.filter((d) => d === 0).length,
    test: 'WILCOXON_SIGNED_RANK',
    statistic: test.statistic,
    zScore: test.z,
    pValue: test.pValue,
  };
}
