import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { FaceAnalyzer } from '@facecloud/vision';
import { skipWithoutModels, visionModelsDir } from '../../vision/src/test-fixtures';
import { datasetsDir, repoRoot, skipWithoutDatasets } from '../../../tools/support/paths';
import { hdbscan } from './hdbscan';
import { hdbscanScalable } from './hdbscan-scalable';
import { OnnxSimilarityEngine } from './knn/similarity-engine';
import { adjustedRandIndex, noiseAsSingletons } from './partition-metrics';

/*
 * Scalable vs exact HDBSCAN on real MobileFaceNet embeddings: every face the analyzer finds on
 * the dev set's photos (people/, groups/, blurry/; at most MAX_PHOTOS). The embeddings are
 * cached under .cache/ (keyed by the photos and the models), so only the first run pays for
 * detection and embedding. The index is made deliberately partial (small cells, few probes),
 * as it is for a large library.
 */
const MAX_PHOTOS = 300;
/** As tools/eval reports the scalable path on the dev set. */
const PARTIAL_INDEX = { cellSize: 16, probeCount: 8 };
const CACHE_DIR = join(repoRoot, '.cache', 'clustering');
const devDir = join(datasetsDir, 'dev');
const skip = skipWithoutDatasets || skipWithoutModels;

interface DevEmbeddings {
  dimension: number;
  /** Face count × dimension, back to back. */
  embeddings: Float32Array;
}

function devPhotos(): string[] {
  const photos: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(jpe?g|png|webp)$/i.test(entry.name)) photos.push(path);
    }
  };
  for (const kind of ['people', 'groups', 'blurry']) if (existsSync(join(devDir, kind))) walk(join(devDir, kind));
  return photos.slice(0, MAX_PHOTOS);
}

async function devEmbeddings(): Promise<DevEmbeddings> {
  const photos = devPhotos();
  const key = createHash('sha256');
  for (const photo of photos) key.update(`${relative(devDir, photo)}:${statSync(photo).size}\n`);
  for (const model of readdirSync(visionModelsDir).filter((file) => file.endsWith('.onnx')).sort()) {
    const { size, mtimeMs } = statSync(join(visionModelsDir, model));
    key.update(`${model}:${size}:${mtimeMs}\n`);
  }
  const cacheFile = join(CACHE_DIR, `dev-embeddings-${key.digest('hex').slice(0, 16)}.bin`);
  if (existsSync(cacheFile)) {
    const bytes = await readFile(cacheFile);
    const dimension = bytes.readUInt32LE(0);
    return { dimension, embeddings: new Float32Array(bytes.buffer.slice(bytes.byteOffset + 4, bytes.byteOffset + bytes.length)) };
  }
  const analyzer = await FaceAnalyzer.create({
    modelsDir: visionModelsDir,
    runtime: { provider: 'cpu' },
    decode: { maxSide: 1024, maxInputPixels: 100_000_000 },
  });
  const vectors: Float32Array[] = [];
  try {
    for (let start = 0; start < photos.length; start += 8) {
      const bytes = await Promise.all(photos.slice(start, start + 8).map((photo) => readFile(photo)));
      for (const analysis of await analyzer.analyzeMany(bytes)) {
        if (!(analysis instanceof Error)) for (const face of analysis.faces) vectors.push(face.embedding);
      }
    }
  } finally {
    await analyzer.close();
  }
  const dimension = vectors[0]?.length ?? 0;
  const embeddings = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => embeddings.set(vector, i * dimension));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(dimension);
  await mkdir(CACHE_DIR, { recursive: true });
  await writeFile(cacheFile, Buffer.concat([header, Buffer.from(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength)]));
  return { dimension, embeddings };
}

describe('scalable HDBSCAN on dev-set embeddings', { skip }, () => {
  let data: DevEmbeddings;
  let engine: OnnxSimilarityEngine;
  before(async () => {
    data = await devEmbeddings();
    engine = await OnnxSimilarityEngine.create({ threads: 1 });
  });

  for (const [minClusterSize, minSamples] of [
    [2, 2],
    [3, 3],
    [2, 1],
  ] as const) {
    test(`gives the exact path's partition with a partial index (minClusterSize ${minClusterSize}, minSamples ${minSamples})`, async (t) => {
      const { embeddings, dimension } = data;
      const n = embeddings.length / dimension;
      assert.ok(n >= 150 && n <= 2000, `${n} dev-set faces`);
      const rows = Array.from({ length: n }, (_, i) => embeddings.subarray(i * dimension, (i + 1) * dimension));
      const exact = hdbscan(rows, { minClusterSize, minSamples });
      // ≈ 18 cells of 16 faces, 8 probed per face: most pairs are never compared directly.
      const scalable = await hdbscanScalable(embeddings, dimension, engine, { minClusterSize, minSamples, index: PARTIAL_INDEX });
      const agreement = adjustedRandIndex(noiseAsSingletons(scalable.labels), noiseAsSingletons(exact.labels));
      t.diagnostic(`${n} faces: exact ${exact.clusterCount} clusters, scalable ${scalable.clusterCount}; ARI ${agreement.toFixed(4)}`);
      assert.ok(exact.clusterCount >= 10, `the exact path finds structure (${exact.clusterCount} clusters)`);
      assert.ok(agreement >= 0.99, `ARI scalable vs exact ${agreement}`);
    });
  }
});
