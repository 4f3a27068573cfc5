// Pooling over the attention mask, normalisation and the packed wire format.
import { clsPool, cosine, l2NormalizeInPlace, meanPool, norm, pool, type HiddenStates } from '../src/domain/vectors';
import { packFloat32LE, unpackFloat32LE } from '@llmops/contracts';

// Two rows, three positions, two dims; row 0 has one padding position, row 1 none.
const states: HiddenStates = {
  rows: 2,
  seqLen: 3,
  dims: 2,
  data: Float32Array.from([1, 2, 3, 4, 100, 100, /* row 1 */ 1, 1, 2, 2, 3, 3]),
};
const mask = BigInt64Array.from([1n, 1n, 0n, 1n, 1n, 1n]);

test('mean pooling averages only the unmasked positions of its row', () => {
  expect(Array.from(meanPool(states, 0, mask))).toEqual([2, 3]);
  expect(Array.from(meanPool(states, 1, mask))).toEqual([2, 2]);
  expect(Array.from(pool('MEAN', states, 0, [1, 1, 0, 1, 1, 1]))).toEqual([2, 3]);
});

test('CLS pooling takes the first position of its row, whatever the mask', () => {
  expect(Array.from(clsPool(states, 0))).toEqual([1, 2]);
  expect(Array.from(pool('CLS', states, 1, mask))).toEqual([1, 1]);
});

test('a fully masked row pools to zeros instead of NaN', () => {
  expect(Array.from(meanPool(states, 0, [0, 0, 0, 0, 0, 0]))).toEqual([0, 0]);
});

test('L2 normalisation gives unit vectors and keeps zero vectors zero', () => {
  const v = l2NormalizeInPlace(Float32Array.from([3, 4]));
  expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929]);
  expect(norm(v)).toBeCloseTo(1, 6);
  expect(Array.from(l2NormalizeInPlace(new Float32Array(3)))).toEqual([0, 0, 0]);
  expect(cosine(Float32Array.from([1, 0]), Float32Array.from([0, 2]))).toBe(0);
  expect(cosine(Float32Array.from([1, 1]), Float32Array.from([2, 2]))).toBeCloseTo(1, 6);
});

test('vectors pack to little-endian float32 rows and back', () => {
  const vs = [Float32Array.from([1, -2.5, 0.25]), Float32Array.from([3, 4, 5])];
  const buf = packFloat32LE(vs, 3);
  expect(buf.length).toBe(24);
  expect(buf.readFloatLE(4)).toBe(-2.5);
  expect(buf.readFloatLE(12)).toBe(3);
  expect(unpackFloat32LE(buf, 3)).toEqual(vs);
});
