import { compareResults } from '../src/domain/evaluation/comparison';
import type { ItemResult } from '../src/domain/evaluation/model';
import { averageRanks, erfc, normalCdf, wilcoxonSignedRank } from '../src/domain/evaluation/statistics';

test('the normal CDF matches the standard tables', () => {
  expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
  expect(normalCdf(-1)).toBeCloseTo(0.1586553, 6);
  expect(normalCdf(2.5758)).toBeCloseTo(0.995, 5);
  expect(erfc(0.5)).toBeCloseTo(0.4795001, 6);
});

test('average ranks share ties', () => {
  expect(averageRanks([15, 7, 5, 20, 9, 17, 12, 5, 10])).toEqual([7, 3, 1.5, 9, 4, 8, 6, 1.5, 5]);
  expect(averageRanks([3, 3, 3])).toEqual([2, 2, 2]);
});

describe('Wilcoxon signed-rank test, normal approximation', () => {
  test('the Wikipedia example (10 pairs, one zero difference, one tie)', () => {
    // Pairs (x1, x2): (125,110) (115,122) (130,125) (140,120) (140,140) (115,124) (140,123)
    // (125,137) (140,135) (135,145); differences x2 − x1. The zero is dropped (n = 9); |−5| twice
    // share rank 1.5. W+ = 3 + 4 + 6 + 5 = 18, E = 22.5, Var = 9·10·19/24 − (2³−2)/48 = 71.125,
    // z = −4.5/√71.125 = −0.53358, p = 2Φ(−0.53358) = 0.5936.
    const x1 = [125, 115, 130, 140, 140, 115, 140, 125, 140, 135];
    const x2 = [110, 122, 125, 120, 140, 124, 123, 137, 135, 145];
    const r = wilcoxonSignedRank(x2.map((v, i) => v - x1[i]!));
    expect(r.n).toBe(9);
    expect(r.statistic).toBe(18);
    expect(r.z).toBeCloseTo(-0.53358, 4);
    expect(r.pValue).toBeCloseTo(0.5936, 3);
  });

  test('ten positive differences: z = 27.5/√96.25 = 2.8031, p = 0.00506', () => {
    const r = wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.statistic).toBe(55);
    expect(r.z).toBeCloseTo(2.8031, 4);
    expect(r.pValue).toBeCloseTo(0.00506, 4);
    expect(wilcoxonSignedRank([-1, -2, -3, -4, -5, -6, -7, -8, -9, -10]).pValue).toBeCloseTo(r.pValue, 12);
  });

  test('no non-zero difference: nothing to test, p = 1', () => {
    expect(wilcoxonSignedRank([0, 0, 0])).toEqual({ n: 0, statistic: 0, z: 0, pValue: 1 });
    expect(wilcoxonSignedRank([])).toEqual({ n: 0, statistic: 0, z: 0, pValue: 1 });
  });
});

test('comparison pairs items by dataset item and skips items either run could not score', () => {
  const result = (runId: string, itemId: string, value: number | null): ItemResult => ({
    runId,
    itemId,
    output: 'x',
    generationId: 'g',
    scores: [{ metric: 'ROUGE_L', value, error: null }],
    error: null,
    latencyMs: 1,
    createdAt: new Date(),
  });
  const a = [result('a', 'i1', 0.2), result('a', 'i2', 0.5), result('a', 'i3', 0.9), result('a', 'i4', 0.1), result('a', 'i5', null)];
  const b = [result('b', 'i3', 0.4), result('b', 'i1', 0.6), result('b', 'i2', 0.5), result('b', 'i5', 0.7)];
  const c = compareResults(a, b, 'ROUGE_L');
  expect(c.pairs).toBe(3);
  expect(c.wins).toBe(1);
  expect(c.losses).toBe(1);
  expect(c.ties).toBe(1);
  expect(c.meanA).toBeCloseTo((0.2 + 0.5 + 0.9) / 3, 12);
  expect(c.meanB).toBeCloseTo((0.6 + 0.5 + 0.4) / 3, 12);
  expect(c.meanDifference).toBeCloseTo((0.4 + 0 - 0.5) / 3, 12);
  // Non-zero differences +0.4 (rank 1) and −0.5 (rank 2): W+ = 1, E = 1.5, Var = 2·3·5/24 = 1.25.
  expect(c.statistic).toBe(1);
  expect(c.zScore).toBeCloseTo(-0.5 / Math.sqrt(1.25), 10);
  expect(c.pValue).toBeCloseTo(2 * normalCdf(-0.5 / Math.sqrt(1.25)), 10);
  expect(compareResults(a, [], 'ROUGE_L')).toMatchObject({ pairs: 0, meanA: null, meanDifference: null, pValue: 1 });
});
