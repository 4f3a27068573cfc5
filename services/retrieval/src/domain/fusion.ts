// Reciprocal rank fusion (Cormack et al., 2009): score(d) = sum over lists of 1 / (k + rank(d)).
// Rank-based, so BM25 scores and cosine similarities need no common scale; each fused hit keeps
// the scores and ranks it had in the lists it came from.
import type { RankedId, SearchHit } from './model';

export const defaultRrfK = 60;

export type FusedHit = Omit<SearchHit, 'document'> & { id: string };

export function reciprocalRankFusion(keyword: RankedId[], vector: RankedId[], k: number, rrfK = defaultRrfK): FusedHit[] {
  const fused = new Map<string, Omit<FusedHit, 'rank'>>();
  const entry = (r: RankedId) => {
    let e = fused.get(r.id);
    if (!e) {
      e = { id: r.id, score: 0, keywordScore: null, keywordRank: null, vectorScore: null, vectorRank: null };
      fused.set(r.id, e);
    }
    return e;
  };
  keyword.forEach((r, i) => {
    const e = entry(r);
    e.keywordScore = r.score;
    e.keywordRank = i + 1;
    e.score += 1 / (rrfK + i + 1);
  });
  vector.forEach((r, i) => {
    const e = entry(r);
    e.vectorScore = r.score;
    e.vectorRank = i + 1;
    e.score += 1 / (rrfK + i + 1);
  });
  // Ties (same fused score) go to the better best rank, then to the id, so results are stable.
  const bestRank = (e: Omit<FusedHit, 'rank'>) => Math.min(e.keywordRank ?? Infinity, e.vectorRank ?? Infinity);
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || bestRank(a) - bestRank(b) || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((e, i) => ({ ...e, rank: i + 1 }));
}
