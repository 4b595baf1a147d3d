import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARCFACE_TEMPLATE_112 } from '../align';
import type { Point } from '../image';
import { faceQuality, faceQualityFactors, frontalness, QUALITY_WEIGHTS, sharpnessFactor, sizeFactor, type FaceQualityInput } from './face-quality';

const BLUR_THRESHOLD = 18;

/** The ArcFace template scaled into a box of `side` px at (x, y): a frontal face. */
function frontalLandmarks(side: number, x = 100, y = 100): Point[] {
  return ARCFACE_TEMPLATE_112.map((p) => ({ x: x + (p.x / 112) * side, y: y + (p.y / 112) * side }));
}

/**
 * The frontal template with the head turned by `yawDegrees` about the vertical axis through the
 * eyes, seen from the front: a simple head model where the nose tip stands 0.7 and the mouth
 * 0.3 half eye-distances in front of the eyes.
 */
function turnedLandmarks(side: number, yawDegrees: number): Point[] {
  const points = frontalLandmarks(side);
  const centreX = (points[0].x + points[1].x) / 2;
  const halfEyeDistance = (points[1].x - points[0].x) / 2;
  const depths = [0, 0, 0.7, 0.3, 0.3].map((depth) => depth * halfEyeDistance);
  const [cos, sin] = [Math.cos((yawDegrees * Math.PI) / 180), Math.sin((yawDegrees * Math.PI) / 180)];
  return points.map((p, i) => ({ x: centreX + (p.x - centreX) * cos + depths[i] * sin, y: p.y }));
}

function profileLandmarks(side: number): Point[] {
  return turnedLandmarks(side, 45);
}

function rotate(points: Point[], degrees: number): Point[] {
  const [c, s] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  return points.map((p) => ({ x: c * p.x - s * p.y, y: s * p.x + c * p.y }));
}

function face(side: number, landmarks: Point[], sharpness: number, score = 0.999): FaceQualityInput {
  return { score, box: { x1: 100, y1: 100, x2: 100 + side, y2: 100 + side }, landmarks, sharpness };
}

test('a frontal, large, sharp face beats profile, small and blurry ones', () => {
  const best = faceQuality(face(200, frontalLandmarks(200), 400), BLUR_THRESHOLD);
  const profile = faceQuality(face(200, profileLandmarks(200), 400), BLUR_THRESHOLD);
  const small = faceQuality(face(30, frontalLandmarks(30), 400), BLUR_THRESHOLD);
  const blurry = faceQuality(face(200, frontalLandmarks(200), 4), BLUR_THRESHOLD);
  const unsure = faceQuality(face(200, frontalLandmarks(200), 400, 0.75), BLUR_THRESHOLD);
  const everythingWrong = faceQuality(face(30, profileLandmarks(30), 4, 0.75), BLUR_THRESHOLD);
  assert.ok(best > 0.95, `best ${best}`);
  for (const [name, worse] of Object.entries({ profile, small, blurry, unsure })) {
    assert.ok(worse < best, `${name} ${worse} vs ${best}`);
  }
  for (const value of [best, profile, small, blurry, unsure, everythingWrong]) assert.ok(value >= 0 && value <= 1);
  assert.ok(everythingWrong < Math.min(profile, small, blurry, unsure));
});

test('the quality is the weighted geometric mean of its factors', () => {
  const input = face(60, profileLandmarks(60), 30, 0.9);
  const factors = faceQualityFactors(input, BLUR_THRESHOLD);
  const expected =
    factors.detection ** QUALITY_WEIGHTS.detection *
    factors.size ** QUALITY_WEIGHTS.size *
    factors.sharpness ** QUALITY_WEIGHTS.sharpness *
    factors.frontal ** QUALITY_WEIGHTS.frontal;
  assert.ok(Math.abs(faceQuality(input, BLUR_THRESHOLD) - expected) < 1e-12);
  const weights = Object.values(QUALITY_WEIGHTS).reduce((sum, weight) => sum + weight, 0);
  assert.ok(Math.abs(weights - 1) < 1e-12);
});

test('size factor: 0 at 24 px and below, 1 from 112 px, increasing between', () => {
  const box = (side: number) => ({ x1: 0, y1: 0, x2: side, y2: side });
  assert.equal(sizeFactor(box(20)), 0);
  assert.equal(sizeFactor(box(24)), 0);
  assert.equal(sizeFactor(box(112)), 1);
  assert.equal(sizeFactor(box(500)), 1);
  assert.ok(sizeFactor(box(40)) < sizeFactor(box(60)) && sizeFactor(box(60)) < sizeFactor(box(100)));
  assert.equal(sizeFactor({ x1: 5, y1: 5, x2: 5, y2: 40 }), 0, 'empty box');
});

test('sharpness factor is 0.5 at the blur threshold and saturates', () => {
  assert.ok(Math.abs(sharpnessFactor(BLUR_THRESHOLD, BLUR_THRESHOLD) - 0.5) < 1e-12);
  assert.ok(Math.abs(sharpnessFactor(2 * BLUR_THRESHOLD, BLUR_THRESHOLD) - 0.8) < 1e-12);
  assert.equal(sharpnessFactor(0, BLUR_THRESHOLD), 0);
  assert.ok(sharpnessFactor(1000, BLUR_THRESHOLD) > 0.999);
  assert.throws(() => sharpnessFactor(10, 0), RangeError);
});

test('frontalness: 1 for the template, lower when turned, nodding or rolled, 0 for nonsense', () => {
  const frontal = frontalness(frontalLandmarks(112));
  assert.ok(frontal > 0.97, `template ${frontal}`);
  assert.ok(Math.abs(frontalness(frontalLandmarks(300, 7, 9)) - frontal) < 1e-9, 'independent of size and position');
  const byYaw = [0, 15, 30, 45, 60].map((yaw) => frontalness(turnedLandmarks(112, yaw)));
  for (let i = 1; i < byYaw.length; i++) assert.ok(byYaw[i] < byYaw[i - 1], `frontalness by yaw ${byYaw.join(', ')}`);
  assert.ok(byYaw[3] < 0.6, `45° ${byYaw[3]}`);
  const nodding = frontalLandmarks(112);
  nodding[2] = { x: nodding[2].x, y: nodding[2].y + 15 };
  assert.ok(frontalness(nodding) < 0.6);
  const rolled = frontalness(rotate(frontalLandmarks(112), 40));
  assert.ok(rolled < frontal && rolled > 0.6, `rolled 40° ${rolled}`);
  assert.ok(frontalness(rotate(frontalLandmarks(112), 180)) === 0, 'upside down');
  assert.equal(frontalness([]), 0);
  assert.equal(frontalness(Array.from({ length: 5 }, () => ({ x: 1, y: 1 }))), 0);
});
