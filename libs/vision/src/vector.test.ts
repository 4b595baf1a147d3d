import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosineSimilarity, l2NormalizeInPlace } from './vector';

test('l2NormalizeInPlace gives unit length and leaves zero vectors alone', () => {
  const vector = l2NormalizeInPlace(Float32Array.from([3, 4]));
  assert.ok(Math.abs(vector[0] - 0.6) < 1e-7 && Math.abs(vector[1] - 0.8) < 1e-7);
  assert.deepEqual(l2NormalizeInPlace(new Float32Array(3)), new Float32Array(3));
});

test('cosineSimilarity', () => {
  assert.ok(Math.abs(cosineSimilarity(Float32Array.from([1, 0]), Float32Array.from([5, 0])) - 1) < 1e-9);
  assert.ok(Math.abs(cosineSimilarity(Float32Array.from([1, 0]), Float32Array.from([0, 2]))) < 1e-9);
  assert.throws(() => cosineSimilarity(new Float32Array(2), new Float32Array(3)), RangeError);
});
