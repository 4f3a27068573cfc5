// Paired significance testing for run comparisons: the Wilcoxon signed-rank test with the normal
// approximation (average ranks for ties, the tie-corrected variance, zero differences dropped).

/** erfc(x) by the Chebyshev fit of Numerical Recipes (fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The standard normal cumulative distribution function Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Ranks 1..n of the values, ties sharing their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = rank;
    start = end + 1;
  }
  return ranks;
}

export interface SignedRankResult {
  /** Non-zero differences the test used. */
  n: number;
  /** W+: the sum of the ranks of the positive differences. */
  statistic: number;
  /** (W+ − n(n+1)/4) / σ, σ corrected for ties; 0 when there are no non-zero differences. */
  z: number;
  /** Two-sided p-value from the normal approximation; 1 when there are no non-zero differences. */
  pValue: number;
}

/**
 * Wilcoxon signed-rank test of paired differences (b − a per pair). The normal approximation is
 * close for n ≥ 10 or so; below that the p-value is a rough guide only.
 */
export function wilcoxonSignedRank(differences: readonly number[]): SignedRankResult {
  const nonZero = differences.filter((d) => d !== 0 && Number.isFinite(d));
  const n = nonZero.length;
  if (n === 0) return { n: 0, statistic: 0, z: 0, pValue: 1 };
  const ranks = averageRanks(nonZero.map(Math.abs));
  let wPlus = 0;
  nonZero.forEach((d, i) => {
    if (d > 0) wPlus += ranks[i]!;
  });
  const tieGroups = new Map<number, number>();
  for (const r of ranks) tieGroups.set(r, (tieGroups.get(r) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of tieGroups.values()) tieTerm += t * t * t - t;
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return { n, statistic: wPlus, z: 0, pValue: 1 };
  const z = (wPlus - mean) / Math.sqrt(variance);
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(z)));
  return { n, statistic: wPlus, z, pValue };
}
