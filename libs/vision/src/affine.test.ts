import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyAffine, invertAffine, similarityTransform, type Affine2D } from './affine';
import type { Point } from './image';

const SOURCE: Point[] = [
  { x: 10, y: 20 },
  { x: 50, y: 22 },
  { x: 31, y: 45 },
  { x: 15, y: 70 },
  { x: 48, y: 69 },
];

function similarity(angle: number, scale: number, tx: number, ty: number): Affine2D {
  const cos = scale * Math.cos(angle);
  const sin = scale * Math.sin(angle);
  return [cos, -sin, tx, sin, cos, ty];
}

function assertMatrixClose(actual: Affine2D, expected: Affine2D, tolerance = 1e-9): void {
  actual.forEach((value, index) =>
    assert.ok(Math.abs(value - expected[index]) < tolerance, `element ${index}: ${value} vs ${expected[index]}`),
  );
}

test('similarityTransform recovers a known rotation, scale and translation', () => {
  const expected = similarity(0.3, 1.7, -12.5, 40);
  const target = SOURCE.map((point) => applyAffine(expected, point));
  assertMatrixClose(similarityTransform(SOURCE, target), expected);
});

test('similarityTransform is the least-squares fit for noisy points', () => {
  const expected = similarity(-0.8, 0.6, 3, 4);
  const noise = [0.4, -0.3, 0.2, 0.1, -0.4];
  const target = SOURCE.map((point, index) => {
    const mapped = applyAffine(expected, point);
    return { x: mapped.x + noise[index], y: mapped.y - noise[index] };
  });
  const fitted = similarityTransform(SOURCE, target);
  [0, 1, 3, 4].forEach((index) => assert.ok(Math.abs(fitted[index] - expected[index]) < 0.02));
  const residual = (m: Affine2D) =>
    SOURCE.reduce((sum, point, index) => {
      const mapped = applyAffine(m, point);
      return sum + (mapped.x - target[index].x) ** 2 + (mapped.y - target[index].y) ** 2;
    }, 0);
  assert.ok(residual(fitted) <= residual(expected) + 1e-9);
});

test('similarityTransform never reflects, even when the target is mirrored', () => {
  const mirrored = SOURCE.map((point) => ({ x: -point.x, y: point.y }));
  const [a, b, , c, d] = similarityTransform(SOURCE, mirrored);
  assert.ok(a * d - b * c >= 0, 'determinant must not be negative');
  assert.equal(a, d); // pure rotation + uniform scale: [[p, -q], [q, p]]
  assert.equal(b, -c);
});

test('similarityTransform rejects degenerate input', () => {
  assert.throws(() => similarityTransform([{ x: 1, y: 1 }, { x: 1, y: 1 }], SOURCE.slice(0, 2)), RangeError);
  assert.throws(() => similarityTransform(SOURCE, SOURCE.slice(0, 4)), RangeError);
});

test('invertAffine undoes the transform', () => {
  const m = similarity(1.1, 2.5, 7, -3);
  const inverse = invertAffine(m);
  for (const point of SOURCE) {
    const roundTrip = applyAffine(inverse, applyAffine(m, point));
    assert.ok(Math.abs(roundTrip.x - point.x) < 1e-9 && Math.abs(roundTrip.y - point.y) < 1e-9);
  }
});
