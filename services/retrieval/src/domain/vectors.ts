// Vector arithmetic on embeddings (unit-length Float32Arrays).

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function normalize(v: Float32Array): Float32Array {
  const norm = Math.sqrt(dot(v, v));
  if (norm === 0) throw new Error('cannot normalise a zero vector');
  return v.map((x) => x / norm);
}

/** The unit-length mean of equally long vectors. */
export function meanDirection(vectors: Float32Array[]): Float32Array {
  if (vectors.length === 0) throw new Error('meanDirection of no vectors');
  const sum = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < sum.length; i++) sum[i]! += v[i]!;
  return normalize(sum);
}
