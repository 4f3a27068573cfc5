// Ranking quality of an embedding model on a labelled retrieval set (BEIR style): every query
// against the whole corpus by cosine, scored with nDCG@10 (linear gains, gain = grade, as BEIR's
// pytrec_eval ndcg_cut), MRR@10 and recall@100.
import { dot } from './vectors';

export interface RankingMetrics {
  queries: number;
  ndcgAt10: number;
  mrrAt10: number;
  recallAt100: number;
}

/**
 * `queries[i]` is scored against every `documents[j]` (unit vectors); `relevance[i]` maps
 * relevant document indices to their grade.
 */
export function evaluateRanking(queries: Float32Array[], documents: Float32Array[], relevance: Array<Map<number, number>>): RankingMetrics {
  let ndcg = 0;
  let mrr = 0;
  let recall = 0;
  const scores = new Float64Array(documents.length);
  queries.forEach((q, i) => {
    for (let j = 0; j < documents.length; j++) scores[j] = dot(q, documents[j]!);
    const top = topK(scores, 100);
    const rel = relevance[i]!;
    const dcg = top.slice(0, 10).reduce((s, j, rank) => s + (rel.get(j) ?? 0) / Math.log2(rank + 2), 0);
    const ideal = [...rel.values()]
      .filter((g) => g > 0)
      .sort((a, b) => b - a)
      .slice(0, 10)
      .reduce((s, g, rank) => s + g / Math.log2(rank + 2), 0);
    ndcg += ideal > 0 ? dcg / ideal : 0;
    const first = top.slice(0, 10).findIndex((j) => (rel.get(j) ?? 0) > 0);
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    const relevantCount = [...rel.values()].filter((g) => g > 0).length;
    recall += relevantCount > 0 ? top.filter((j) => (rel.get(j) ?? 0) > 0).length / relevantCount : 0;
  });
  const n = Math.max(1, queries.length);
  return { queries: queries.length, ndcgAt10: ndcg / n, mrrAt10: mrr / n, recallAt100: recall / n };
}

/** Indices of the k highest scores, best first (ties: lower index first). */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, k);
}
