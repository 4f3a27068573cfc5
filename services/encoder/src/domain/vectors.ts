// Vector arithmetic on Float32Array: pooling of a model's token states, L2 normalisation, cosine.
import type { Pooling } from './catalog';
import { UnreachableCaseError } from '@llmops/platform';

/** Token states of one model run: `data` is [rows, seqLen, dims] row-major. */
export interface HiddenStates {
  data: Float32Array;
  rows: number;
  seqLen: number;
  dims: number;
}

/** Mean of the token states whose attention mask is 1 (padding excluded). */
export function meanPool(states: HiddenStates, row: number, mask: ArrayLike<number | bigint>): Float32Array {
  const { data, seqLen, dims } = states;
  const out = new Float32Array(dims);
  let count = 0;
  for (let t = 0; t < seqLen; t++) {
    if (Number(mask[row * seqLen + t]) === 0) continue;
    count++;
    const base = (row * seqLen + t) * dims;
    for (let d = 0; d < dims; d++) out[d]! += data[base + d]!;
  }
  if (count > 0) for (let d = 0; d < dims; d++) out[d]! /= count;
  return out;
}

/** The state of the first token ([CLS]). */
export function clsPool(states: HiddenStates, row: number): Float32Array {
  const base = row * states.seqLen * states.dims;
  return states.data.slice(base, base + states.dims);
}

export function pool(pooling: Pooling, states: HiddenStates, row: number, mask: ArrayLike<number | bigint>): Float32Array {
  switch (pooling) {
    case 'MEAN':
      return meanPool(states, row, mask);
    case 'CLS':
      return clsPool(states, row);
    default:
      throw new UnreachableCaseError(pooling);
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));

/** Scales `v` in place to unit L2 norm (a zero vector stays zero); returns it. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  const n = norm(v);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot(a, b) / d;
}
