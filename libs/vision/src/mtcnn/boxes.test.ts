import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRegression, clipBox, squareBox } from './boxes';
import { nonMaximumSuppression, overlap } from './nms';

test('applyRegression moves each edge by a fraction of the box size', () => {
  const box = { x1: 10, y1: 20, x2: 110, y2: 70 }; // 100 × 50
  assert.deepEqual(applyRegression(box, { dx1: 0.1, dy1: -0.2, dx2: -0.05, dy2: 0.4 }), {
    x1: 20,
    y1: 10,
    x2: 105,
    y2: 90,
  });
});

test('squareBox keeps the centre and takes the longer side', () => {
  assert.deepEqual(squareBox({ x1: 10, y1: 20, x2: 110, y2: 70 }), { x1: 10, y1: -5, x2: 110, y2: 95 });
  assert.deepEqual(squareBox({ x1: 0, y1: 0, x2: 20, y2: 60 }), { x1: -20, y1: 0, x2: 40, y2: 60 });
});

test('clipBox keeps boxes inside the image', () => {
  assert.deepEqual(clipBox({ x1: -5, y1: 3, x2: 120, y2: 90 }, 100, 80), { x1: 0, y1: 3, x2: 100, y2: 80 });
});

test('overlap: union vs min', () => {
  const big = { x1: 0, y1: 0, x2: 10, y2: 10 };
  const inner = { x1: 2, y1: 2, x2: 6, y2: 6 };
  assert.equal(overlap(big, inner, 'union'), 16 / 100);
  assert.equal(overlap(big, inner, 'min'), 1);
  assert.equal(overlap(big, { x1: 10, y1: 0, x2: 20, y2: 10 }, 'union'), 0);
});

test('nonMaximumSuppression keeps the best of overlapping boxes, best first', () => {
  const items = [
    { id: 'b', score: 0.8, box: { x1: 1, y1: 1, x2: 11, y2: 11 } }, // IoU with a ≈ 0.68
    { id: 'c', score: 0.7, box: { x1: 50, y1: 50, x2: 60, y2: 60 } },
    { id: 'a', score: 0.9, box: { x1: 0, y1: 0, x2: 10, y2: 10 } },
    { id: 'd', score: 0.95, box: { x1: 3, y1: 3, x2: 7, y2: 7 } }, // inside a
  ];
  assert.deepEqual(
    nonMaximumSuppression(items, 0.5).map((item) => item.id),
    ['d', 'a', 'c'],
  );
  assert.deepEqual(
    nonMaximumSuppression(items, 0.7).map((item) => item.id),
    ['d', 'a', 'b', 'c'],
  );
  // Intersection over the smaller box removes the nested boxes.
  assert.deepEqual(
    nonMaximumSuppression(items, 0.7, 'min').map((item) => item.id),
    ['d', 'c'],
  );
});
