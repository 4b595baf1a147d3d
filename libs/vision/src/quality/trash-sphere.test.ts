import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFace } from './classify';
import { isTrash, trashCentroid, trashSimilarity } from './trash-sphere';

const unit = (index: number, dimension = 4) => Float32Array.from({ length: dimension }, (_, i) => (i === index ? 1 : 0));

test('trashCentroid is the normalised mean direction', () => {
  const centroid = trashCentroid([unit(0), unit(1)]);
  assert.deepEqual(Array.from(centroid, (x) => Number(x.toFixed(6))), [0.707107, 0.707107, 0, 0]);
  assert.throws(() => trashCentroid([]), RangeError);
  assert.throws(() => trashCentroid([unit(0), unit(0, 3)]), RangeError);
});

test('trashSimilarity is the cosine to the centroid; the sphere holds what is at least threshold-close', () => {
  const centroid = trashCentroid([unit(0), unit(1)]);
  assert.ok(Math.abs(trashSimilarity(unit(0), centroid) - Math.SQRT1_2) < 1e-6);
  assert.ok(Math.abs(trashSimilarity(unit(2), centroid)) < 1e-9);
  const opposite = Float32Array.from(centroid, (x) => -x);
  assert.ok(Math.abs(trashSimilarity(opposite, centroid) + 1) < 1e-6);
  assert.equal(isTrash(trashSimilarity(unit(0), centroid), 0.7), true);
  assert.equal(isTrash(trashSimilarity(unit(0), centroid), 0.75), false);
  assert.equal(isTrash(trashSimilarity(unit(3), centroid), 0.3), false);
  assert.throws(() => trashSimilarity(unit(0, 3), centroid), RangeError);
});

test('classifyFace: trash before blurry before face', () => {
  const thresholds = { blur: 18, trash: 0.3 };
  assert.equal(classifyFace(400, 0.1, thresholds), 'face');
  assert.equal(classifyFace(5, 0.1, thresholds), 'blurry');
  assert.equal(classifyFace(400, 0.5, thresholds), 'trash');
  assert.equal(classifyFace(5, 0.5, thresholds), 'trash', 'a smeared non-face is still not a face');
});
