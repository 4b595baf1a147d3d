import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FaceAnalyzerPool } from './analyzer-pool';
import { ImageDecodeError } from './decode';
import { FaceAnalyzer, type FaceAnalyzerOptions, type PhotoAnalysis } from './face-analyzer';
import { StageTotals } from './stage-timer';
import { readPhotoFixture, skipWithoutModels, TEST_DECODE_OPTIONS, visionModelsDir } from './test-fixtures';

/*
 * The pool must be a drop-in for FaceAnalyzer.analyzeMany: same faces and embeddings, photos in
 * order, a bad photo failing alone with its own error, and a thread that dies failing only the
 * photos it held.
 */

const PHOTOS = ['person-a-1.jpg', 'group-5.jpg', 'no-face.jpg', 'person-b-1.jpg', 'person-a-2.jpg'].map(readPhotoFixture);
const NOT_AN_IMAGE = Buffer.from('this is not an image');

const warnings: string[] = [];
const stages = new StageTotals();
const options: FaceAnalyzerOptions = {
  modelsDir: visionModelsDir,
  runtime: { provider: 'cpu', logger: { warn: (message) => warnings.push(message) } },
  decode: TEST_DECODE_OPTIONS,
};
let pool: FaceAnalyzerPool;
let inProcess: FaceAnalyzer;

before(async () => {
  if (skipWithoutModels) return;
  [pool, inProcess] = await Promise.all([FaceAnalyzerPool.create({ ...options, threads: 2, stageTimer: stages }), FaceAnalyzer.create(options)]);
});

after(async () => {
  await Promise.all([pool?.close(), inProcess?.close()]);
});

function faces(result: PhotoAnalysis | Error): PhotoAnalysis['faces'] {
  assert.ok(!(result instanceof Error), `unexpected error: ${result instanceof Error ? result.message : ''}`);
  return result.faces;
}

test('the pool finds what the in-process analyzer finds, photo by photo, in order', { skip: skipWithoutModels }, async () => {
  assert.equal(pool.parallelism, 2);
  assert.equal(pool.embedderName, inProcess.embedderName);
  assert.equal(pool.executionProvider, 'cpu');
  const [pooled, direct] = await Promise.all([pool.analyzeMany(PHOTOS), inProcess.analyzeMany(PHOTOS)]);
  assert.deepEqual(pooled.map((result) => faces(result).length), [1, 5, 0, 1, 1]);
  for (const [index, result] of pooled.entries()) {
    const expected = faces(direct[index]);
    for (const [k, face] of faces(result).entries()) {
      assert.ok(Buffer.isBuffer(face.thumbnailJpeg), 'thumbnails arrive as Buffers');
      assert.equal(face.thumbnailJpeg.subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
      assert.ok(face.embedding instanceof Float32Array);
      assert.deepEqual(face.box, expected[k].box);
      assert.equal(face.kind, expected[k].kind);
      for (let i = 0; i < face.embedding.length; i++) assert.ok(Math.abs(face.embedding[i] - expected[k].embedding[i]) < 1e-4);
    }
  }
  assert.ok((stages.milliseconds.get('embed') ?? 0) > 0, 'stage times come back from the threads');
});

test('a photo that cannot be decoded fails alone, with ImageDecodeError', { skip: skipWithoutModels }, async () => {
  const results = await pool.analyzeMany([PHOTOS[0], NOT_AN_IMAGE, PHOTOS[3]]);
  assert.equal(faces(results[0]).length, 1);
  assert.ok(results[1] instanceof ImageDecodeError, 'the decode error keeps its class across the thread boundary');
  assert.equal(faces(results[2]).length, 1);
});

test('a thread that dies fails only its own photos, and the pool replaces it', { skip: skipWithoutModels }, async () => {
  const threads = (pool as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> }).threads;
  const pending = pool.analyzeMany(PHOTOS);
  await threads[0].worker.terminate();
  const results = await pending;
  const failed = results.filter((result) => result instanceof Error);
  assert.ok(failed.length >= 1 && failed.length < PHOTOS.length, `${failed.length} of ${PHOTOS.length} photos failed`);
  for (const error of failed) assert.match((error as Error).message, /analyzer thread exited/);
  assert.ok(warnings.some((message) => /starting another/.test(message)));

  // The replacement starts in the background; the pool keeps working meanwhile and then has two threads again.
  const deadline = Date.now() + 60_000;
  while (pool.parallelism < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(pool.parallelism, 2);
  assert.deepEqual((await pool.analyzeMany(PHOTOS)).map((result) => faces(result).length), [1, 5, 0, 1, 1]);
});

test('when no thread can be started any more, work fails with the reason instead of waiting', { skip: skipWithoutModels }, async () => {
  const doomed = await FaceAnalyzerPool.create({ ...options, threads: 1 });
  try {
    const internals = doomed as unknown as { threadOptions: { modelsDir: string }; threads: Array<{ worker: { terminate(): Promise<number> } }> };
    internals.threadOptions.modelsDir = '/nonexistent/models';
    await internals.threads[0].worker.terminate();
    const results = await doomed.analyzeMany(PHOTOS);
    assert.equal(results.length, PHOTOS.length);
    for (const result of results) {
      assert.ok(result instanceof Error);
      assert.match(result.message, /analyzer thread|model file not found/);
    }
    assert.equal(doomed.parallelism, 0);
  } finally {
    await doomed.close();
  }
});

test('threads must be a positive integer; a closed pool refuses work', { skip: skipWithoutModels }, async () => {
  await assert.rejects(FaceAnalyzerPool.create({ ...options, threads: 0 }), RangeError);
  const small = await FaceAnalyzerPool.create({ ...options, threads: 1 });
  await small.close();
  await assert.rejects(small.analyzeMany(PHOTOS), /closed/);
});
