import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { skipWithoutDatasets } from '../../../../tools/support/paths';
import { decodePhoto } from '../decode';
import { createRgbImage, type Box, type RgbImage } from '../image';
import { MTCNN_MODEL_FILES, MtcnnDetector, type FaceDetection } from './detector';
import { compareByScore, overlap } from './nms';
import { proposeCandidatesPacked } from './packed-pnet';
import { proposeCandidates } from './pnet';
import { buildPyramid, pyramidScales } from './pyramid';
import { closeOnnxSessions, openOnnxSessions } from '../onnx-session';
import {
  devDatasetDir,
  readDevManifest,
  readPhotoFixture,
  skipWithoutModels,
  TEST_DECODE_OPTIONS,
  visionModelsDir,
} from '../test-fixtures';

/*
 * The packed pyramid (all levels on one canvas, one P-Net run) must find what the classic
 * per-scale loop finds, and detectMany must find on each photo what detect finds on it alone.
 * On the dev set this takes three detection passes over 254 photos (≈ 10–20 s on two CPU cores).
 */

const skipDataset = skipWithoutDatasets || skipWithoutModels;
const MICRO_BATCH = 8;

let perScale: MtcnnDetector;
let packed: MtcnnDetector;

before(async () => {
  if (skipWithoutModels) return;
  perScale = await MtcnnDetector.create(visionModelsDir, { provider: 'cpu' }, { pyramid: 'per-scale' });
  packed = await MtcnnDetector.create(visionModelsDir, { provider: 'cpu' }, { pyramid: 'packed' });
});

after(async () => {
  await perScale?.close();
  await packed?.close();
});

test('stage 1: P-Net on a packed canvas gives the per-level proposals, whatever shares the canvas', { skip: skipWithoutModels }, async () => {
  const { sessions } = await openOnnxSessions([join(visionModelsDir, MTCNN_MODEL_FILES.pnet)], { provider: 'cpu' });
  const [pnet] = sessions;
  try {
    // Levels of every parity (odd/even width × height) occur at these sizes of the 594 × 383
    // photo; a low threshold gives many proposals.
    const neighbour = await levelsOf((await decodePhoto(readPhotoFixture('person-a-1.jpg'), TEST_DECODE_OPTIONS)).image);
    for (const maxSide of [594, 571, 333]) {
      const { image } = await decodePhoto(readPhotoFixture('group-5.jpg'), { ...TEST_DECODE_OPTIONS, maxSide });
      const levels = await levelsOf(image);
      const reference = await proposeCandidates(pnet, levels, 0.3);
      assert.ok(reference.length > 50, `${maxSide} px: only ${reference.length} proposals`);
      const [alone] = await proposeCandidatesPacked(pnet, [levels], 0.3);
      const [, shared] = await proposeCandidatesPacked(pnet, [neighbour, levels, neighbour], 0.3);
      for (const proposals of [alone, shared]) assertSameBoxes(proposals, reference, `${maxSide} px`);
    }
  } finally {
    await closeOnnxSessions(sessions);
  }
});

test('detectMany on a mixed batch equals detect on each image, for both pyramid modes', { skip: skipWithoutModels }, async () => {
  const photos = await Promise.all(
    ['group-5.jpg', 'person-a-1.jpg', 'no-face.jpg', 'person-b-1.jpg'].map(
      async (name) => (await decodePhoto(readPhotoFixture(name), TEST_DECODE_OPTIONS)).image,
    ),
  );
  const blank = createRgbImage(320, 240);
  blank.data.fill(128);
  const tooSmall = createRgbImage(30, 30); // under minFaceSize: no pyramid level at all
  const images = [photos[0], tooSmall, photos[1], blank, photos[2], photos[3]];

  for (const detector of [perScale, packed]) {
    const many = await detector.detectMany(images);
    assert.equal(many.length, images.length);
    assert.equal(many[0].length, 5, 'group-5.jpg has five faces');
    for (const [index, image] of images.entries()) assertSameFaces(many[index], await detector.detect(image), `image ${index}`);
  }
  assert.deepEqual(await packed.detectMany([]), []);
});

test('dev dataset: the packed pyramid finds the same faces as the per-scale loop', { skip: skipDataset }, async (t) => {
  const photos = await devPhotos();
  const mismatches: string[] = [];
  const ious: number[] = [];
  for (const photo of photos) {
    const expected = await perScale.detect(photo.image);
    const actual = await packed.detect(photo.image);
    if (actual.length !== expected.length) mismatches.push(`${photo.path}: ${expected.length} vs ${actual.length}`);
    ious.push(...matchedIous(expected, actual));
  }
  t.diagnostic(
    `${photos.length} photos, ${ious.length} faces per-scale; IoU of matched boxes min ${Math.min(...ious).toFixed(4)}, ` +
      `max ${Math.max(...ious).toFixed(4)}; face-count mismatches: ${mismatches.length}`,
  );
  assert.deepEqual(mismatches, []);
  assert.ok(ious.length > 250, `only ${ious.length} faces`);
  assert.ok(ious.every((iou) => iou >= 0.9), `min IoU ${Math.min(...ious)}`);
});

test(`dev dataset: detectMany over micro-batches of ${MICRO_BATCH} equals detect on each photo`, { skip: skipDataset }, async () => {
  const photos = await devPhotos();
  for (let start = 0; start < photos.length; start += MICRO_BATCH) {
    const batch = photos.slice(start, start + MICRO_BATCH);
    const many = await packed.detectMany(batch.map((photo) => photo.image));
    for (const [index, photo] of batch.entries()) assertSameFaces(many[index], await packed.detect(photo.image), photo.path);
  }
});

function levelsOf(image: RgbImage) {
  const { minFaceSize, scaleFactor } = packed.options;
  return buildPyramid(image, pyramidScales(image.width, image.height, minFaceSize, scaleFactor));
}

let devPhotosPromise: Promise<{ path: string; image: RgbImage }[]> | undefined;

/** Every dev-set photo decoded at the tests' working size (once for the whole file). */
function devPhotos(): Promise<{ path: string; image: RgbImage }[]> {
  devPhotosPromise ??= Promise.all(
    readDevManifest().map(async ({ path }) => ({
      path,
      image: (await decodePhoto(readFileSync(join(devDatasetDir, path)), TEST_DECODE_OPTIONS)).image,
    })),
  );
  return devPhotosPromise;
}

/** For each expected face, best first, the IoU with the best still unmatched actual face (0 if none). */
function matchedIous(expected: readonly FaceDetection[], actual: readonly FaceDetection[]): number[] {
  const unmatched = [...actual];
  return expected.map((face) => {
    let best = -1;
    unmatched.forEach((candidate, index) => {
      if (best < 0 || overlap(face.box, candidate.box, 'union') > overlap(face.box, unmatched[best].box, 'union')) best = index;
    });
    if (best < 0) return 0;
    return overlap(face.box, unmatched.splice(best, 1)[0].box, 'union');
  });
}

const TOLERANCE = 1e-4;

type Scored = { score: number; box: Box };

/** Same boxes and scores, in any order. */
function assertSameBoxes(actual: readonly Scored[], expected: readonly Scored[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: count`);
  const sortedActual = [...actual].sort(compareByScore);
  [...expected].sort(compareByScore).forEach((item, index) => assertClose(sortedActual[index], item, `${label} #${index}`));
}

/** Same faces in the same order (detections come sorted by score). */
function assertSameFaces(actual: readonly FaceDetection[], expected: readonly FaceDetection[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: count`);
  expected.forEach((face, index) => {
    const other = actual[index];
    assertClose(other, face, `${label} #${index}`);
    face.landmarks.forEach((point, i) => {
      const near = Math.abs(other.landmarks[i].x - point.x) <= TOLERANCE && Math.abs(other.landmarks[i].y - point.y) <= TOLERANCE;
      assert.ok(near, `${label} #${index}: landmark ${i}`);
    });
  });
}

function assertClose(actual: Scored, expected: Scored, label: string): void {
  assert.ok(Math.abs(actual.score - expected.score) <= TOLERANCE, `${label}: score ${actual.score} vs ${expected.score}`);
  for (const key of ['x1', 'y1', 'x2', 'y2'] as const) {
    assert.ok(Math.abs(actual.box[key] - expected.box[key]) <= TOLERANCE, `${label}: ${key} ${actual.box[key]} vs ${expected.box[key]}`);
  }
}
