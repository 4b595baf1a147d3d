import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, nhwcAxisToNchw, strides, transpose } from './layout';

test('strides are row-major', () => {
  assert.deepEqual(strides([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(strides([5]), [1]);
});

test('transpose of a 2×3 matrix', () => {
  const result = transpose({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }, [1, 0]);
  assert.deepEqual(result.shape, [3, 2]);
  assert.deepEqual([...result.data], [1, 4, 2, 5, 3, 6]);
});

test('NHWC → NCHW moves channels in front of the pixels', () => {
  // 1 × 2 × 2 pixels × 3 channels, value = 10 * pixel + channel.
  const nhwc = Float32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
  const nchw = transpose({ data: nhwc, shape: [1, 2, 2, 3] }, NHWC_TO_NCHW);
  assert.deepEqual(nchw.shape, [1, 3, 2, 2]);
  assert.deepEqual([...nchw.data], [0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
  const back = transpose(nchw, NCHW_TO_NHWC);
  assert.deepEqual(back.shape, [1, 2, 2, 3]);
  assert.deepEqual([...back.data], [...nhwc]);
});

test('transpose rejects a permutation of the wrong rank or with repeats', () => {
  const tensor = { data: new Float32Array(6), shape: [2, 3] };
  assert.throws(() => transpose(tensor, [0]), /invalid permutation/);
  assert.throws(() => transpose(tensor, [0, 0]), /invalid permutation/);
});

test('NHWC axes map to NCHW axes, negative axes counting from the end', () => {
  assert.deepEqual([0, 1, 2, 3].map(nhwcAxisToNchw), [0, 2, 3, 1]);
  assert.equal(nhwcAxisToNchw(-1), 1);
  assert.throws(() => nhwcAxisToNchw(4), /out of range/);
});
