import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { alignFace } from './align';
import { decodePhoto, ImageDecodeError } from './decode';
import { MobileFaceNetEmbedder } from './embedder';
import { FaceAnalyzer, type AnalyzedFace, type FaceAnalyzerOptions, type PhotoAnalysis } from './face-analyzer';
import { createRgbImage, type RgbImage } from './image';
import { loadBlurArtifact, loadTrashArtifact, BLUR_ARTIFACT_FILE, TRASH_ARTIFACT_FILE } from './quality/artifacts';
import { cosineSimilarity } from './vector';
import { readPhotoFixture, skipWithoutModels, TEST_DECODE_OPTIONS, visionModelsDir } from './test-fixtures';

/*
 * The quality fields of FaceAnalyzer (sharpness, quality, trash similarity, kind), its batched
 * analyzeMany, and flip test-time augmentation, on the committed photo fixtures.
 */

const BASE: FaceAnalyzerOptions = { modelsDir: visionModelsDir, runtime: { provider: 'cpu' }, decode: TEST_DECODE_OPTIONS };
const FIXTURES = ['person-a-1.jpg', 'no-face.jpg', 'group-5.jpg', 'person-b-2.jpg', 'person-a-2.jpg'];

let analyzer: FaceAnalyzer;

before(async () => {
  if (skipWithoutModels) return;
  analyzer = await FaceAnalyzer.create(BASE);
});

after(async () => {
  await analyzer?.close();
});

function mirrored(image: RgbImage): RgbImage {
  const out = createRgbImage(image.width, image.height);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const from = (y * image.width + x) * 3;
      image.data.copy(out.data, (y * image.width + image.width - 1 - x) * 3, from, from + 3);
    }
  }
  return out;
}

async function alignedCrop(name: string): Promise<RgbImage> {
  const decoded = await decodePhoto(readPhotoFixture(name), TEST_DECODE_OPTIONS);
  assert.equal(decoded.scale, 1, 'working pixels are original pixels');
  const [face] = (await analyzer.analyze(readPhotoFixture(name))).faces;
  assert.ok(face, `${name}: no face`);
  return alignFace(decoded.image, face.landmarks);
}

function assertSameFaces(actual: PhotoAnalysis, expected: PhotoAnalysis, name: string): void {
  assert.deepEqual([actual.width, actual.height], [expected.width, expected.height], name);
  assert.equal(actual.faces.length, expected.faces.length, `${name}: face count`);
  actual.faces.forEach((face, i) => {
    const reference = expected.faces[i];
    // Everything before the embedder is computed identically; the embedder's batch size may
    // change the last float bits, so embeddings and what follows from them get a tolerance.
    const { embedding, trashSimilarity, ...exact } = face;
    const { embedding: referenceEmbedding, trashSimilarity: referenceSimilarity, ...referenceExact } = reference;
    assert.deepEqual(exact, referenceExact, `${name} face ${i}`);
    assert.ok(cosineSimilarity(embedding, referenceEmbedding) > 0.99999, `${name} face ${i}: embedding`);
    assert.ok(Math.abs(trashSimilarity - referenceSimilarity) < 1e-4, `${name} face ${i}: trash similarity`);
  });
}

test('faces carry sharpness, quality, trash similarity and kind', { skip: skipWithoutModels }, async () => {
  const thresholds = { blur: (await loadBlurArtifact()).threshold, trash: (await loadTrashArtifact()).threshold };
  assert.deepEqual(analyzer.thresholds, thresholds, 'the calibrated thresholds by default');
  const faces: AnalyzedFace[] = [];
  for (const name of ['person-a-1.jpg', 'person-b-1.jpg', 'group-5.jpg']) faces.push(...(await analyzer.analyze(readPhotoFixture(name))).faces);
  for (const face of faces) {
    assert.ok(face.sharpness > thresholds.blur, `sharpness ${face.sharpness}`);
    assert.ok(face.quality > 0 && face.quality <= 1, `quality ${face.quality}`);
    assert.ok(face.trashSimilarity < thresholds.trash, `trash similarity ${face.trashSimilarity}`);
    assert.equal(face.kind, 'face');
  }
  const [portrait] = (await analyzer.analyze(readPhotoFixture('person-b-1.jpg'))).faces;
  const width = (face: AnalyzedFace) => face.box.x2 - face.box.x1;
  const groupFaces = (await analyzer.analyze(readPhotoFixture('group-5.jpg'))).faces;
  const smallest = groupFaces.reduce((a, b) => (width(a) < width(b) ? a : b));
  assert.ok(portrait.quality > smallest.quality, `370 px portrait ${portrait.quality} vs ≈45 px group face ${smallest.quality}`);
});

test('a blurred copy of a photo gives a blurry face of lower quality', { skip: skipWithoutModels }, async () => {
  const [sharpFace] = (await analyzer.analyze(readPhotoFixture('person-b-1.jpg'))).faces;
  const blurredPhoto = await sharp(readPhotoFixture('person-b-1.jpg')).blur(12).jpeg({ quality: 90 }).toBuffer();
  const [blurredFace] = (await analyzer.analyze(blurredPhoto)).faces;
  assert.ok(blurredFace, 'the blurred face is still detected');
  assert.ok(blurredFace.sharpness < analyzer.thresholds.blur, `sharpness ${blurredFace.sharpness}`);
  assert.notEqual(blurredFace.kind, 'face');
  assert.ok(blurredFace.quality < sharpFace.quality);
});

test('thresholds can be overridden, and artifacts read from another folder', { skip: skipWithoutModels }, async () => {
  const photo = readPhotoFixture('person-a-1.jpg');
  const strict = await FaceAnalyzer.create({ ...BASE, blurThreshold: 1e9 });
  const paranoid = await FaceAnalyzer.create({ ...BASE, trashThreshold: -1 });
  const dir = await mkdtemp(join(tmpdir(), 'facecloud-artifacts-'));
  try {
    await assert.rejects(FaceAnalyzer.create({ ...BASE, blurThreshold: 0 }), RangeError);
    assert.equal((await strict.analyze(photo)).faces[0].kind, 'blurry');
    assert.equal((await paranoid.analyze(photo)).faces[0].kind, 'trash');

    await writeFile(join(dir, BLUR_ARTIFACT_FILE), JSON.stringify({ ...(await loadBlurArtifact()), threshold: 1e9 }));
    await writeFile(join(dir, TRASH_ARTIFACT_FILE), JSON.stringify({ ...(await loadTrashArtifact()), embedderModel: 'another-model' }));
    await assert.rejects(FaceAnalyzer.create({ ...BASE, artifactsDir: dir }), /calibrated for another-model/);
    await writeFile(join(dir, TRASH_ARTIFACT_FILE), JSON.stringify(await loadTrashArtifact()));
    const fromDir = await FaceAnalyzer.create({ ...BASE, artifactsDir: dir });
    try {
      assert.equal(fromDir.thresholds.blur, 1e9);
      assert.equal((await fromDir.analyze(photo)).faces[0].kind, 'blurry');
    } finally {
      await fromDir.close();
    }
  } finally {
    await Promise.all([strict.close(), paranoid.close(), rm(dir, { recursive: true })]);
  }
});

test('analyzeMany gives what analyze gives for each photo, and errors in place', { skip: skipWithoutModels }, async () => {
  const photos = FIXTURES.map(readPhotoFixture);
  const corrupt = Buffer.from('not an image at all');
  const results = await analyzer.analyzeMany([photos[0], corrupt, ...photos.slice(1), Buffer.alloc(0)]);
  assert.equal(results.length, photos.length + 2);
  assert.ok(results[1] instanceof ImageDecodeError, 'corrupt photo');
  assert.ok(results[results.length - 1] instanceof ImageDecodeError, 'empty photo');
  const analysed = [results[0], ...results.slice(2, -1)];
  for (const [index, name] of FIXTURES.entries()) {
    const result = analysed[index];
    assert.ok(!(result instanceof Error), `${name}: ${String(result)}`);
    assertSameFaces(result, await analyzer.analyze(photos[index]), name);
  }
  assert.deepEqual(await analyzer.analyzeMany([]), []);
});

test('analyzeMany embeds all faces of all photos in one embedder run, mirrors included', { skip: skipWithoutModels }, async (t) => {
  const embed = t.mock.method(MobileFaceNetEmbedder.prototype, 'embed');
  const results = await analyzer.analyzeMany(['person-a-1.jpg', 'group-5.jpg', 'person-b-1.jpg'].map(readPhotoFixture));
  const faces = results.reduce((sum, result) => sum + (result instanceof Error ? 0 : result.faces.length), 0);
  assert.equal(faces, 7);
  assert.deepEqual(
    embed.mock.calls.map((call) => call.arguments[0].length),
    [2 * faces],
  );
});

test('with flip TTA a crop and its mirror image get the same embedding', { skip: skipWithoutModels }, async () => {
  const crop = await alignedCrop('person-a-1.jpg');
  const [withFlip, withFlipMirror] = await analyzer.embedFaces([crop, mirrored(crop)]);
  for (let i = 0; i < withFlip.length; i++) assert.ok(Math.abs(withFlip[i] - withFlipMirror[i]) < 1e-5, `component ${i}`);

  const noFlip = await FaceAnalyzer.create({ ...BASE, flipAugment: false });
  try {
    const [plain, plainMirror] = await noFlip.embedFaces([crop, mirrored(crop)]);
    assert.ok(cosineSimilarity(plain, plainMirror) < 0.999, 'without TTA the mirror image embeds differently');
    // TTA = normalised sum of the two plain embeddings.
    const sum = plain.map((x, i) => x + plainMirror[i]);
    assert.ok(cosineSimilarity(sum, withFlip) > 0.99999);
  } finally {
    await noFlip.close();
  }
});
