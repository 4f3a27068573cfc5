// Ranking metrics on hand-checked cases.
import { evaluateRanking, topK } from '../src/domain/retrieval-evaluation';

const v = (...xs: number[]) => Float32Array.from(xs);

test('a relevant document ranked first scores 1; ranked second, nDCG 1/log2(3) and MRR 1/2', () => {
  const docs = [v(1, 0), v(0, 1), v(0.6, 0.8)];
  const first = evaluateRanking([v(1, 0)], docs, [new Map([[0, 1]])]);
  expect(first).toEqual({ queries: 1, ndcgAt10: 1, mrrAt10: 1, recallAt100: 1 });
  const second = evaluateRanking([v(1, 0)], docs, [new Map([[2, 1]])]);
  expect(second.ndcgAt10).toBeCloseTo(1 / Math.log2(3), 10);
  expect(second.mrrAt10).toBe(0.5);
});

test('graded relevance, averaging over queries, and a relevant document outside the top 10', () => {
  const docs = Array.from({ length: 12 }, (_, i) => v(Math.cos(i / 10), Math.sin(i / 10)));
  const r = evaluateRanking([v(1, 0), v(1, 0)], docs, [new Map([[11, 1]]), new Map([[0, 2], [1, 1]])]);
  expect(r.queries).toBe(2);
  expect(r.mrrAt10).toBe(0.5);
  expect(r.ndcgAt10).toBeCloseTo(0.5, 10);
  expect(r.recallAt100).toBe(1);
  expect(topK([0.1, 0.9, 0.5, 0.9], 3)).toEqual([1, 3, 2]);
});

test('nDCG@10 gains are linear in the grade, as BEIR (pytrec_eval ndcg_cut) computes them', () => {
  const docs = [v(1, 0), v(0.8, 0.6)];
  // Grade 1 ranked above grade 2: (1 + 2/log2 3) / (2 + 1/log2 3), not 2^grade - 1 gains' (1 + 3/log2 3) / (3 + 1/log2 3).
  const r = evaluateRanking([v(1, 0)], docs, [new Map([[0, 1], [1, 2]])]);
  expect(r.ndcgAt10).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 10);
});
