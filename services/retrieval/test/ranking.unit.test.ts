// Reciprocal rank fusion and the BEIR ranking measures.
import { reciprocalRankFusion } from '../src/domain/fusion';
import type { RankedId } from '../src/domain/model';
import { rankingMetrics } from '../src/domain/ranking-metrics';

const list = (...ids: string[]): RankedId[] => ids.map((id, i) => ({ id, score: 10 - i }));

test('RRF sums 1/(60 + rank) over the lists and keeps each list score and rank', () => {
  const hits = reciprocalRankFusion(list('a', 'b', 'c'), list('c', 'a', 'd'), 10);
  expect(hits.map((h) => h.id)).toEqual(['a', 'c', 'b', 'd']);
  expect(hits[0]).toMatchObject({ rank: 1, keywordRank: 1, keywordScore: 10, vectorRank: 2, vectorScore: 9 });
  expect(hits[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
  expect(hits[2]).toMatchObject({ id: 'b', vectorRank: null, vectorScore: null, keywordRank: 2 });
  expect(hits[3]).toMatchObject({ id: 'd', keywordRank: null, vectorRank: 3 });
});

test('RRF cuts to k and breaks ties by best rank, then id', () => {
  const hits = reciprocalRankFusion(list('x', 'y'), list('y', 'x'), 1);
  expect(hits).toHaveLength(1);
  expect(hits[0]!.id).toBe('x');
});

test('nDCG@10, MRR@10 and recall@100 match hand-computed values', () => {
  const relevant = [new Map([['a', 1]]), new Map([['b', 1], ['c', 1]]), new Map([['z', 1]])];
  const ranked = [['a', 'x'], ['x', 'b', 'c'], ['x']];
  const m = rankingMetrics(ranked, relevant);
  const ndcg2 = (1 / Math.log2(3) + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3));
  expect(m['ndcg@10']).toBeCloseTo((1 + ndcg2 + 0) / 3, 4);
  expect(m['mrr@10']).toBeCloseTo((1 + 0.5 + 0) / 3, 4);
  expect(m['recall@100']).toBeCloseTo((1 + 1 + 0) / 3, 4);
  expect(m.queries).toBe(3);
});

test('nDCG@10 gains are linear in the grade, as BEIR (pytrec_eval ndcg_cut) computes them', () => {
  // Grades 1 then 2 where 2 then 1 was ideal: (1 + 2/log2 3) / (2 + 1/log2 3); with 2^grade - 1 gains it would be 0.76.
  const m = rankingMetrics([['one', 'two']], [new Map([['one', 1], ['two', 2]])]);
  expect(m['ndcg@10']).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 4);
});
