import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HDBSCAN } from 'hdbscan-ts';
import { hdbscan } from './hdbscan';
import { adjustedRandIndex } from './partition-metrics';

/** Deterministic pseudo-random numbers (Park–Miller), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

function blobs(centres: number[][], perBlob: number[], spread: number, seed = 7) {
  const next = random(seed);
  const points: Float32Array[] = [];
  const truth: number[] = [];
  centres.forEach((centre, label) => {
    for (let i = 0; i < perBlob[label]; i++) {
      points.push(Float32Array.from(centre, (value) => value + (next() - 0.5) * spread));
      truth.push(label);
    }
  });
  return { points, truth };
}

function normalise(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

describe('exact HDBSCAN', () => {
  test('finds three well-separated blobs exactly', () => {
    const { points, truth } = blobs([[0, 0], [5, 5], [10, 0]], [30, 30, 20], 0.5);
    const result = hdbscan(points, { minClusterSize: 5, minSamples: 3, metric: 'euclidean' });
    assert.equal(result.clusterCount, 3);
    assert.equal(adjustedRandIndex(result.labels, truth), 1);
  });

  test('an isolated point is noise, not a cluster of its own', () => {
    const { points } = blobs([[0, 0], [5, 5]], [10, 10], 0.5);
    points.push(Float32Array.of(40, 40));
    const result = hdbscan(points, { minClusterSize: 5, minSamples: 3, metric: 'euclidean' });
    assert.equal(result.labels[points.length - 1], -1);
    assert.equal(result.probabilities[points.length - 1], 0);
    assert.equal(result.clusterCount, 2);
  });

  test('pairs form clusters at minClusterSize 2 (two photos of one person)', () => {
    const points = [[0, 0], [0.1, 0], [5, 5], [5.1, 5]].map((p) => Float32Array.from(p));
    const result = hdbscan(points, { minClusterSize: 2, minSamples: 1, metric: 'euclidean' });
    assert.deepEqual(Array.from(result.labels), [0, 0, 1, 1]);
  });

  test('fewer points than minClusterSize are all noise', () => {
    const result = hdbscan([Float32Array.of(1, 0)], { minClusterSize: 2, minSamples: 1 });
    assert.deepEqual(Array.from(result.labels), [-1]);
  });

  test('cosine on unit vectors separates directions (face-embedding-like data)', () => {
    const dimension = 64;
    const next = random(3);
    const directions = [0, 1, 2, 3].map(() => normalise(Float32Array.from({ length: dimension }, () => next() - 0.5)));
    const points: Float32Array[] = [];
    const truth: number[] = [];
    directions.forEach((direction, label) => {
      for (let i = 0; i < 12; i++) {
        points.push(normalise(direction.map((value) => value + (next() - 0.5) * 0.15)));
        truth.push(label);
      }
    });
    const result = hdbscan(points, { minClusterSize: 3, minSamples: 3 });
    assert.equal(adjustedRandIndex(result.labels, truth), 1);
    assert.ok(result.probabilities.every((p) => p > 0 && p <= 1));
  });

  test('hdbscan-ts 1.0.17 disagrees on the same blobs (why we do not use it)', () => {
    const { points, truth } = blobs([[0, 0], [5, 5], [10, 0]], [30, 30, 20], 0.5);
    const ours = hdbscan(points, { minClusterSize: 5, minSamples: 5, metric: 'euclidean' });
    const theirs = new HDBSCAN({ minClusterSize: 5, minSamples: 5 }).fit(points.map((p) => Array.from(p)));
    const theirsScore = adjustedRandIndex(theirs, truth);
    assert.equal(adjustedRandIndex(ours.labels, truth), 1);
    // Recorded, not desired: if a new hdbscan-ts release fixes this, this assertion tells us.
    assert.ok(theirsScore < 0.9, `hdbscan-ts now scores ARI ${theirsScore}: reconsider using it`);
  });
});

describe('adjusted Rand index', () => {
  test('is 1 for the same partition under relabelling and lower for a different one', () => {
    assert.equal(adjustedRandIndex([0, 0, 1, 1], [5, 5, 2, 2]), 1);
    assert.ok(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) < 0);
  });
});
