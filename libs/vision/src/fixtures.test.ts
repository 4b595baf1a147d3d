import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { FaceAnalyzer, type PhotoAnalysis } from './face-analyzer';
import type { Box } from './image';
import { overlap } from './mtcnn/nms';
import { cosineSimilarity } from './vector';
import { readPhotoFixture, skipWithoutInt8, skipWithoutModels, TEST_DECODE_OPTIONS, visionModelsDir } from './test-fixtures';

/*
 * The committed photos in test/fixtures/photos (see LICENSES.md there) must behave the way the
 * end-to-end tests rely on: one face per person photo, none on the cat, the two photos of person A
 * much closer to each other than to person B.
 */

let analyzer: FaceAnalyzer;
const results = new Map<string, PhotoAnalysis>();

const FIXTURES = ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'no-face.jpg', 'group-5.jpg'];

before(async () => {
  if (skipWithoutModels) return;
  analyzer = await FaceAnalyzer.create({ modelsDir: visionModelsDir, runtime: { provider: 'cpu' }, decode: TEST_DECODE_OPTIONS });
  for (const name of FIXTURES) results.set(name, await analyzer.analyze(readPhotoFixture(name)));
});

after(async () => {
  await analyzer?.close();
});

function onlyFace(name: string) {
  const analysis = results.get(name);
  assert.ok(analysis);
  assert.equal(analysis.faces.length, 1, `${name}: expected exactly one face, got ${analysis.faces.length}`);
  return analysis.faces[0];
}

function insideBox(point: { x: number; y: number }, box: Box): boolean {
  return point.x >= box.x1 && point.x <= box.x2 && point.y >= box.y1 && point.y <= box.y2;
}

test('exactly one face on each person photo, none on the no-face photo, five on the group photo', { skip: skipWithoutModels }, () => {
  for (const name of ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg']) onlyFace(name);
  assert.equal(results.get('no-face.jpg')?.faces.length, 0);
  assert.equal(results.get('group-5.jpg')?.faces.length, 5);
});

test('same person is clearly closer than a different person', { skip: skipWithoutModels }, (t) => {
  const a1 = onlyFace('person-a-1.jpg').embedding;
  const a2 = onlyFace('person-a-2.jpg').embedding;
  const b1 = onlyFace('person-b-1.jpg').embedding;
  const same = cosineSimilarity(a1, a2);
  const different = Math.max(cosineSimilarity(a1, b1), cosineSimilarity(a2, b1));
  t.diagnostic(`cos(A1, A2) = ${same.toFixed(3)}, max cos(A*, B1) = ${different.toFixed(3)}`);
  assert.ok(same > 0.6, `cos(A1, A2) = ${same}`);
  assert.ok(same - different > 0.5, `margin ${same - different}`);
});

test('faces are well-formed: original-pixel boxes, landmarks in the box, unit embeddings, 112 px JPEG thumbnails', { skip: skipWithoutModels }, async () => {
  for (const [name, analysis] of results) {
    const { width, height } = await sharp(readPhotoFixture(name)).metadata();
    assert.deepEqual([analysis.width, analysis.height], [width, height]);
    for (const face of analysis.faces) {
      const { box } = face;
      assert.ok(box.x1 >= 0 && box.y1 >= 0 && box.x2 <= width && box.y2 <= height && box.x1 < box.x2 && box.y1 < box.y2);
      assert.ok(face.score > 0.7 && face.score <= 1);
      assert.equal(face.landmarks.length, 5);
      for (const point of face.landmarks) assert.ok(insideBox(point, box), `${name}: landmark outside its box`);
      const [leftEye, rightEye, nose, leftMouth, rightMouth] = face.landmarks;
      assert.ok(leftEye.x < rightEye.x && leftMouth.x < rightMouth.x, `${name}: left/right swapped`);
      assert.ok(leftEye.y < nose.y && nose.y < leftMouth.y, `${name}: eyes, nose, mouth not top to bottom`);
      assert.equal(face.embedding.length, analyzer.embeddingDimension);
      assert.ok(Math.abs(Math.hypot(...face.embedding) - 1) < 1e-4);
      const thumbnail = await sharp(face.thumbnailJpeg).metadata();
      assert.deepEqual([thumbnail.format, thumbnail.width, thumbnail.height], ['jpeg', 112, 112]);
    }
  }
});

test('faces are sorted by score, and analysis is deterministic', { skip: skipWithoutModels }, async () => {
  const group = results.get('group-5.jpg');
  assert.ok(group);
  const scores = group.faces.map((face) => face.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  const again = await analyzer.analyze(readPhotoFixture('group-5.jpg'));
  assert.deepEqual(again, group);
});

test('boxes stay in original pixels when the working resolution changes', { skip: skipWithoutModels }, async () => {
  const small = await FaceAnalyzer.create({
    modelsDir: visionModelsDir,
    runtime: { provider: 'cpu' },
    decode: { ...TEST_DECODE_OPTIONS, maxSide: 400 },
  });
  try {
    const reference = onlyFace('person-a-2.jpg');
    const analysis = await small.analyze(readPhotoFixture('person-a-2.jpg'));
    assert.equal(analysis.faces.length, 1);
    assert.ok(overlap(analysis.faces[0].box, reference.box, 'union') > 0.75);
    assert.ok(cosineSimilarity(analysis.faces[0].embedding, reference.embedding) > 0.8);
  } finally {
    await small.close();
  }
});

test('an EXIF-rotated photo is analysed upright', { skip: skipWithoutModels }, async () => {
  const upright = onlyFace('person-a-1.jpg');
  // Store the pixels rotated a quarter turn anticlockwise with orientation 6 ("rotate 90° clockwise
  // to display"): a viewer, and the decoder, show the photo upright again.
  const rotated = await sharp(readPhotoFixture('person-a-1.jpg')).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  const analysis = await analyzer.analyze(rotated);
  const reference = results.get('person-a-1.jpg');
  assert.deepEqual([analysis.width, analysis.height], [reference?.width, reference?.height]);
  assert.equal(analysis.faces.length, 1);
  assert.ok(overlap(analysis.faces[0].box, upright.box, 'union') > 0.8);
  assert.ok(cosineSimilarity(analysis.faces[0].embedding, upright.embedding) > 0.9);
});

test('with the int8 embedder: the same faces, kinds and identity margin, embeddings close to float', { skip: skipWithoutInt8 }, async (t) => {
  const int8 = await FaceAnalyzer.create({
    modelsDir: visionModelsDir,
    runtime: { provider: 'cpu' },
    decode: TEST_DECODE_OPTIONS,
    embeddingPrecision: 'int8',
  });
  try {
    assert.equal(int8.embedderName, 'mobilefacenet-192-int8');
    assert.equal(int8.embedderFamily, analyzer.embedderFamily);
    let lowest = 1;
    const embeddings = new Map<string, Float32Array>();
    for (const name of FIXTURES) {
      const float = results.get(name)!;
      const quantized = await int8.analyze(readPhotoFixture(name));
      assert.equal(quantized.faces.length, float.faces.length, name);
      for (const [index, face] of quantized.faces.entries()) {
        const reference = float.faces[index];
        assert.deepEqual(face.box, reference.box);
        assert.equal(face.kind, reference.kind, `${name} face ${index}: kind`);
        assert.ok(Math.abs(face.trashSimilarity - reference.trashSimilarity) < 0.1, `${name}: trash similarity ${face.trashSimilarity} vs ${reference.trashSimilarity}`);
        lowest = Math.min(lowest, cosineSimilarity(face.embedding, reference.embedding));
      }
      if (quantized.faces.length === 1) embeddings.set(name, quantized.faces[0].embedding);
    }
    const same = cosineSimilarity(embeddings.get('person-a-1.jpg')!, embeddings.get('person-a-2.jpg')!);
    const different = Math.max(
      cosineSimilarity(embeddings.get('person-a-1.jpg')!, embeddings.get('person-b-1.jpg')!),
      cosineSimilarity(embeddings.get('person-a-2.jpg')!, embeddings.get('person-b-1.jpg')!),
    );
    t.diagnostic(`int8: lowest cosine to float ${lowest.toFixed(4)}; cos(A1, A2) = ${same.toFixed(3)}, max cos(A*, B1) = ${different.toFixed(3)}`);
    assert.ok(lowest > 0.97, `lowest cosine to float ${lowest}`); // face + mirror averaged: 0.970 at worst on 453 lfw faces
    assert.ok(same > 0.6 && same - different > 0.5, `cos(A1, A2) = ${same}, margin ${same - different}`);
  } finally {
    await int8.close();
  }
});
