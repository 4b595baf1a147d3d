import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HDBSCAN } from 'hdbscan-ts';
import { clusteringParamsFor } from './clustering-params';
import { clusterFaces, groupFaces } from './group-faces';
import { exactSpanningTree, hdbscan } from './hdbscan';
import { hdbscanScalable, spanningTreeWithIndex } from './hdbscan-scalable';
import { OnnxSimilarityEngine } from './knn/similarity-engine';
import { seededRandom } from './knn/cell-index';
import { adjustedRandIndex, noiseAsSingletons } from './partition-metrics';
import { syntheticFaces } from './synthetic-faces';

/** Rows of a flat array as separate vectors (the exact path's input). */
function rows(points: Float32Array, dimension: number): Float32Array[] {
  return Array.from({ length: points.length / dimension }, (_, i) => points.subarray(i * dimension, (i + 1) * dimension));
}

/** Well-separated unit-vector blobs of the given sizes (no long tail of strangers). */
function blobs(sizes: number[], dimension: number, spread: number, seed: number): { points: Float32Array; truth: Int32Array } {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const n = sizes.reduce((a, b) => a + b, 0);
  const points = new Float32Array(n * dimension);
  const truth = new Int32Array(n);
  let row = 0;
  sizes.forEach((size, label) => {
    const centre = Float64Array.from({ length: dimension }, gaussian);
    const norm = Math.hypot(...centre);
    for (let i = 0; i < size; i++, row++) {
      const v = points.subarray(row * dimension, (row + 1) * dimension);
      for (let j = 0; j < dimension; j++) v[j] = centre[j] / norm + spread * gaussian();
      const length = Math.hypot(...v);
      for (let j = 0; j < dimension; j++) v[j] /= length;
      truth[row] = label;
    }
  });
  return { points, truth };
}

/** Small cells and few probes, so that the index really is partial at these sizes. */
const SMALL_INDEX = { cellSize: 128, probeCount: 8 };

describe('scalable HDBSCAN', () => {
  let engine: OnnxSimilarityEngine;
  before(async () => {
    engine = await OnnxSimilarityEngine.create({ threads: 1 });
  });
  after(() => engine.close());

  test('its spanning tree is the exact minimum spanning tree when the probes cover every cell, and close when they do not', async () => {
    const { embeddings, dimension } = syntheticFaces({ faces: 1500, seed: 11 });
    const exact = exactSpanningTree(rows(embeddings, dimension), 3);
    const total = (weights: Float64Array) => weights.reduce((sum, w) => sum + w, 0);
    const full = await spanningTreeWithIndex(embeddings, dimension, engine, { minSamples: 3, index: { cellSize: 128, probeCount: 1000 } });
    assert.equal(full.edges.weight.length, 1499);
    assert.ok(Math.abs(total(full.edges.weight) - total(exact.weight)) < 1e-3, `${total(full.edges.weight)} vs ${total(exact.weight)}`);
    const partial = await spanningTreeWithIndex(embeddings, dimension, engine, { minSamples: 3, index: SMALL_INDEX });
    const excess = total(partial.edges.weight) / total(exact.weight) - 1;
    assert.ok(excess >= -1e-6 && excess < 0.05, `partial index: ${(excess * 100).toFixed(2)} % heavier`);
  });

  interface Shape {
    name: string;
    make: () => { points: Float32Array; truth: Int32Array; dimension: number };
    params: [number, number];
  }
  const shapes: Shape[] = [
    {
      name: 'face-like library (long tail of strangers), n = 2000',
      make: () => {
        const faces = syntheticFaces({ faces: 2000, seed: 5 });
        return { points: faces.embeddings, truth: faces.identity, dimension: faces.dimension };
      },
      params: [3, 3],
    },
    {
      name: 'face-like library, tighter persons, minimum settings, n = 1200',
      make: () => {
        const faces = syntheticFaces({ faces: 1200, seed: 9, sameCosine: 0.85 });
        return { points: faces.embeddings, truth: faces.identity, dimension: faces.dimension };
      },
      params: [2, 2],
    },
    {
      name: 'blobs of very different size in 32 dimensions, n = 1000',
      make: () => ({ ...blobs([500, 250, 120, 60, 40, 20, 10], 32, 0.05, 3), dimension: 32 }),
      params: [5, 5],
    },
  ];
  for (const shape of shapes) {
    test(`gives the exact path's partition: ${shape.name}`, async () => {
      const { points, truth, dimension } = shape.make();
      const [minClusterSize, minSamples] = shape.params;
      const exact = hdbscan(rows(points, dimension), { minClusterSize, minSamples });
      const scalable = await hdbscanScalable(points, dimension, engine, { minClusterSize, minSamples, index: SMALL_INDEX });
      const agreement = adjustedRandIndex(noiseAsSingletons(scalable.labels), noiseAsSingletons(exact.labels));
      assert.ok(agreement >= 0.99, `ARI scalable vs exact ${agreement}`);
      // And both find the structure (not two equally wrong answers).
      assert.ok(adjustedRandIndex(noiseAsSingletons(exact.labels), truth) > 0.9);
      assert.ok(scalable.probabilities.every((p, i) => (scalable.labels[i] < 0 ? p === 0 : p > 0 && p <= 1)));
    });
  }

  test('hdbscan-ts 1.0.17 gets even two tight, distant blobs wrong; ours and the exact path get them right', async () => {
    // We looked for a shape where hdbscan-ts is right, to compare against it there, and found none
    // (three 2-d blobs in hdbscan.test.ts, these two 8-d blobs): it has no trustworthy region.
    const { points, truth } = blobs([40, 40], 8, 0.01, 21);
    const scalable = await hdbscanScalable(points, 8, engine, { minClusterSize: 5, minSamples: 5, index: { cellSize: 16, probeCount: 3 } });
    const exact = hdbscan(rows(points, 8), { minClusterSize: 5, minSamples: 5 });
    const theirs = new HDBSCAN({ minClusterSize: 5, minSamples: 5 }).fit(rows(points, 8).map((p) => Array.from(p)));
    assert.equal(adjustedRandIndex(scalable.labels, truth), 1);
    assert.equal(adjustedRandIndex(exact.labels, truth), 1);
    const theirsScore = adjustedRandIndex(theirs, truth);
    // Recorded, not desired: if a new hdbscan-ts release fixes this, this assertion tells us.
    assert.ok(theirsScore < 0.9, `hdbscan-ts now scores ARI ${theirsScore}: compare against it`);
  });
});

describe('one person and strangers (the root that excess of mass never selects)', () => {
  const dimension = 64;
  function library(seed: number) {
    const random = seededRandom(seed);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const unit = (v: Float32Array) => v.map((x) => x / Math.hypot(...v));
    const me = unit(Float32Array.from({ length: dimension }, gaussian));
    const faces = [];
    for (let i = 0; i < 12; i++) faces.push({ photoId: `me-${i}`, embedding: unit(me.map((x) => x + 0.06 * gaussian())) });
    for (let i = 0; i < 3; i++) faces.push({ photoId: `stranger-${i}`, embedding: unit(Float32Array.from({ length: dimension }, gaussian)) });
    return faces;
  }

  test('is one person by default, the strangers unassigned', () => {
    const groups = groupFaces(library(1), { minClusterSize: 2, minSamples: 2 });
    assert.equal(groups.length, 1);
    assert.deepEqual([...groups[0]].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
  });

  test('is nobody when the single-person rule is switched off (plain HDBSCAN)', () => {
    const groups = groupFaces(library(1), { minClusterSize: 2, minSamples: 2, singleClusterMaxDistance: 1e-9 });
    assert.equal(groups.length, 0);
  });

  test('a library of unrelated faces is not one person', () => {
    const random = seededRandom(4);
    const faces = Array.from({ length: 8 }, (_, i) => ({
      photoId: `p${i}`,
      embedding: Float32Array.from({ length: dimension }, () => random() - 0.5).map((x, _, v) => x / Math.hypot(...v)),
    }));
    // minClusterSize 5 of 8 faces: the hierarchy cannot split, so only the single-person rule could make a person.
    assert.equal(groupFaces(faces, { minClusterSize: 5, minSamples: 2 }).length, 0);
  });
});

describe('clusterFaces', () => {
  test('takes the scalable path above the exact limit and returns strengths for grouped faces only', async () => {
    const { embeddings, dimension, identity } = syntheticFaces({ faces: 2500, seed: 8 });
    const faces = Array.from({ length: 2500 }, (_, i) => ({ photoId: `photo-${i}`, embedding: embeddings.subarray(i * dimension, (i + 1) * dimension) }));
    const result = await clusterFaces(faces, {}, { algorithm: 'hdbscan' });
    assert.equal(result.path, 'scalable');
    assert.deepEqual(result.params, clusteringParamsFor(2500));
    const grouped = new Set(result.groups.flat());
    assert.ok(grouped.size > 1000);
    result.strengths.forEach((s, i) => assert.equal(s > 0, grouped.has(i)));
    const predicted = new Int32Array(2500).fill(-1);
    result.groups.forEach((group, g) => group.forEach((i) => (predicted[i] = g)));
    assert.ok(adjustedRandIndex(noiseAsSingletons(predicted), identity) > 0.95);
  });
});

describe('parameters by library size', () => {
  test('small libraries get 2, large ones more; overrides win; 0 means automatic', () => {
    assert.deepEqual([200, 10_000, 1_000_000].map((n) => clusteringParamsFor(n).minClusterSize), [2, 3, 4]);
    assert.equal(clusteringParamsFor(1_000_000, { minSamples: 2 }).minSamples, 2);
    assert.equal(clusteringParamsFor(10_000, { minClusterSize: 0 }).minClusterSize, 3);
  });
});
