// Ranking quality against graded relevance judgments (BEIR's measures): nDCG@10 with linear gains
// (gain = grade, as pytrec_eval's ndcg_cut, which BEIR runs), MRR@10 and recall@100, averaged over
// the judged queries. On binary judgments (SciFact) linear and 2^grade - 1 gains are the same.

export interface RankingMetrics {
  'ndcg@10': number;
  'recall@100': number;
  'mrr@10': number;
  queries: number;
}

/** `ranked[i]` is query i's document ids, best first; `relevant[i]` maps its relevant ids to grades. */
export function rankingMetrics(ranked: string[][], relevant: Array<Map<string, number>>): RankingMetrics {
  let ndcg = 0;
  let mrr = 0;
  let recall = 0;
  ranked.forEach((ids, i) => {
    const rel = relevant[i]!;
    const grade = (id: string) => rel.get(id) ?? 0;
    const dcg = ids.slice(0, 10).reduce((s, id, r) => s + grade(id) / Math.log2(r + 2), 0);
    const ideal = [...rel.values()]
      .filter((g) => g > 0)
      .sort((a, b) => b - a)
      .slice(0, 10)
      .reduce((s, g, r) => s + g / Math.log2(r + 2), 0);
    ndcg += ideal > 0 ? dcg / ideal : 0;
    const first = ids.slice(0, 10).findIndex((id) => grade(id) > 0);
    mrr += first >= 0 ? 1 / (first + 1) : 0;
    const relevantCount = [...rel.values()].filter((g) => g > 0).length;
    recall += relevantCount > 0 ? new Set(ids.slice(0, 100).filter((id) => grade(id) > 0)).size / relevantCount : 0;
  });
  const n = Math.max(1, ranked.length);
  const round = (x: number) => Number((x / n).toFixed(4));
  return { 'ndcg@10': round(ndcg), 'recall@100': round(recall), 'mrr@10': round(mrr), queries: ranked.length };
}
