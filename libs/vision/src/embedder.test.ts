import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { alignFace } from './align';
import { decodePhoto } from './decode';
import { MobileFaceNetEmbedder } from './embedder';
import { createRgbImage, type RgbImage } from './image';
import { MtcnnDetector } from './mtcnn/detector';
import { cosineSimilarity } from './vector';
import { readPhotoFixture, skipWithoutInt8, skipWithoutModels, TEST_DECODE_OPTIONS, visionModelsDir } from './test-fixtures';

let detector: MtcnnDetector;
let embedder: MobileFaceNetEmbedder;

before(async () => {
  if (skipWithoutModels) return;
  detector = await MtcnnDetector.create(visionModelsDir, { provider: 'cpu' });
  embedder = await MobileFaceNetEmbedder.create(visionModelsDir, { provider: 'cpu' });
});

after(async () => {
  await detector?.close();
  await embedder?.close();
});

async function alignedFaces(name: string): Promise<{ face: RgbImage; mirrored: RgbImage }> {
  const { image } = await decodePhoto(readPhotoFixture(name), TEST_DECODE_OPTIONS);
  const [detection] = await detector.detect(image);
  assert.ok(detection, `${name}: no face`);
  return { face: alignFace(image, detection.landmarks), mirrored: alignFace(image, detection.landmarks, 112, { flip: true }) };
}

test('detector reports its execution provider and finds nothing in blank or tiny images', { skip: skipWithoutModels }, async () => {
  assert.equal(detector.executionProvider, 'cpu');
  const blank = createRgbImage(320, 240);
  blank.data.fill(128);
  assert.deepEqual(await detector.detect(blank), []);
  assert.deepEqual(await detector.detect(createRgbImage(30, 30)), []); // smaller than minFaceSize
});

test('detector honours maxFaces, keeping the best-scoring faces', { skip: skipWithoutModels }, async () => {
  const { image } = await decodePhoto(readPhotoFixture('group-5.jpg'), TEST_DECODE_OPTIONS);
  const all = await detector.detect(image);
  const limited = await MtcnnDetector.create(visionModelsDir, { provider: 'cpu' }, { maxFaces: 2 });
  try {
    assert.deepEqual(await limited.detect(image), all.slice(0, 2));
  } finally {
    await limited.close();
  }
});

test('embeddings are unit length, batch-independent, and stable under mirroring', { skip: skipWithoutModels }, async () => {
  assert.equal(embedder.modelName, 'mobilefacenet-192');
  assert.equal(embedder.dimension, 192);
  const a = await alignedFaces('person-a-1.jpg');
  const b = await alignedFaces('person-b-1.jpg');
  const batch = await embedder.embed([a.face, b.face, a.mirrored]);
  assert.equal(batch.length, 3);
  for (const embedding of batch) {
    assert.equal(embedding.length, 192);
    assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4);
  }
  const [single] = await embedder.embed([b.face]);
  assert.ok(cosineSimilarity(single, batch[1]) > 0.9999, 'same result alone or in a batch');
  assert.ok(cosineSimilarity(batch[0], batch[2]) > 0.85, 'a face and its mirror image are close');
  assert.ok(cosineSimilarity(batch[0], batch[1]) < 0.4, 'different people are far apart');
  assert.deepEqual(await embedder.embed([]), []);
});

/** Every face of the photo fixtures, aligned, and its mirror image. */
async function allFixtureCrops(): Promise<RgbImage[]> {
  const crops: RgbImage[] = [];
  for (const name of ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'person-b-2.jpg', 'group-5.jpg']) {
    const { image } = await decodePhoto(readPhotoFixture(name), TEST_DECODE_OPTIONS);
    for (const { landmarks } of await detector.detect(image)) {
      crops.push(alignFace(image, landmarks), alignFace(image, landmarks, 112, { flip: true }));
    }
  }
  return crops;
}

test('the int8 model agrees with the float model on real faces', { skip: skipWithoutInt8 }, async (t) => {
  const int8 = await MobileFaceNetEmbedder.create(visionModelsDir, { provider: 'cpu' }, 'int8');
  try {
    assert.equal(int8.modelName, 'mobilefacenet-192-int8');
    assert.equal(int8.family, embedder.family);
    const crops = await allFixtureCrops();
    assert.ok(crops.length >= 16, `${crops.length} crops`);
    const [float, quantized] = [await embedder.embed(crops), await int8.embed(crops)];
    const agreement = crops.map((_, i) => cosineSimilarity(float[i], quantized[i])).sort((a, b) => a - b);
    const median = agreement[agreement.length >> 1];
    t.diagnostic(`cosine int8 vs float over ${crops.length} crops: min ${agreement[0].toFixed(4)}, median ${median.toFixed(4)}`);
    // Measured on 453 lfw faces: min 0.965, 1st percentile 0.980, median 0.995 (docs/models.md).
    assert.ok(agreement[0] >= 0.95, `min cosine ${agreement[0]}`);
    assert.ok(median >= 0.985, `median cosine ${median}`);
    for (const embedding of quantized) assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4);
  } finally {
    await int8.close();
  }
});

test('embed rejects crops that are not 112×112', { skip: skipWithoutModels }, async () => {
  await assert.rejects(embedder.embed([createRgbImage(100, 100)]), RangeError);
});

test('missing model files give a clear error', async () => {
  await assert.rejects(MobileFaceNetEmbedder.create('/nonexistent-models-dir', { provider: 'cpu' }), /model file not found/);
});

test("provider 'auto' opens the models on CUDA when available, otherwise on CPU", { skip: skipWithoutModels }, async () => {
  const auto = await MobileFaceNetEmbedder.create(visionModelsDir, { provider: 'auto' });
  try {
    assert.ok(auto.executionProvider === 'cuda' || auto.executionProvider === 'cpu');
    const [embedding] = await auto.embed([createRgbImage(112, 112)]);
    assert.equal(embedding.length, 192);
  } finally {
    await auto.close();
  }
});
