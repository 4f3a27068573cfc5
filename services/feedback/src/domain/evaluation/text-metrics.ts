// The natural-language metrics that need no model: each a pure function of the texts or ids.

/** Trimmed, whitespace runs collapsed to one space, lower case (Unicode NFKC). */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** 1 when the two texts are equal after normalizeText, else 0. */
export function exactMatch(output: string, expected: string): number {
  return normalizeText(output) === normalizeText(expected) ? 1 : 0;
}

/** Lower-cased runs of letters and digits: punctuation and whitespace separate tokens. */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Length of the longest common subsequence of two token lists (O(n·m) time, O(m) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * ROUGE-L (Lin, 2004): LCS-based F-measure over tokens, with β = 1 (the harmonic mean of
 * LCS/|candidate| and LCS/|reference|). Two empty texts score 1; one empty text scores 0.
 */
export function rougeL(candidate: string, reference: string): number {
  const c = tokenize(candidate);
  const r = tokenize(reference);
  if (c.length === 0 && r.length === 0) return 1;
  if (c.length === 0 || r.length === 0) return 0;
  const lcs = lcsLength(c, r);
  if (lcs === 0) return 0;
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Cosine similarity of two vectors of the same length; 0 when either is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine similarity: vectors of length ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/**
 * Citation precision: the fraction of the distinct cited documents that are among the expected
 * (relevant) ones. Null when nothing was cited: precision is undefined there, not 0 or 1.
 */
export function citationPrecision(cited: readonly string[], relevant: readonly string[]): number | null {
  const distinct = new Set(cited);
  if (distinct.size === 0) return null;
  const wanted = new Set(relevant);
  let hits = 0;
  for (const id of distinct) if (wanted.has(id)) hits++;
  return hits / distinct.size;
}

export interface JudgeScale {
  min: number;
  max: number;
}

/**
 * The judge's score: the first number in its output that lies within the scale ("4", "Score: 4/5",
 * "4.5"). Null when the output holds no such number: the caller records an error, never a guess.
 */
export function parseJudgeScore(output: string, scale: JudgeScale): number | null {
  for (const match of output.matchAll(/-?\d+(?:\.\d+)?/g)) {
    const value = Number(match[0]);
    if (Number.isFinite(value) && value >= scale.min && value <= scale.max) return value;
  }
  return null;
}
