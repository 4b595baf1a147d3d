import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { averageLinkage } from './average-linkage';
import { clusterFaces } from './group-faces';
import { seededRandom } from './knn/cell-index';
import { OnnxSimilarityEngine } from './knn/similarity-engine';
import { linkageThresholdFor, LINKAGE_THRESHOLD_MODEL } from './linkage-threshold';
import { adjustedRandIndex, noiseAsSingletons } from './partition-metrics';
import { syntheticFaces } from './synthetic-faces';

function randomUnits(n: number, dimension: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const points = new Float32Array(n * dimension);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dimension; d++) norm += (points[i * dimension + d] = random() - 0.5) ** 2;
    for (let d = 0; d < dimension; d++) points[i * dimension + d] /= Math.sqrt(norm);
  }
  return points;
}

function allPairs(n: number): { edgeA: Int32Array; edgeB: Int32Array } {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a.push(i), b.push(j);
  return { edgeA: Int32Array.from(a), edgeB: Int32Array.from(b) };
}

/** The textbook algorithm: merge the two clusters with the highest mean pairwise similarity, one pair at a time. */
function textbookAverageLinkage(points: Float32Array, dimension: number, threshold: number): number[][] {
  const n = points.length / dimension;
  const similarity = (i: number, j: number) => {
    let sum = 0;
    for (let d = 0; d < dimension; d++) sum += points[i * dimension + d] * points[j * dimension + d];
    return sum;
  };
  let clusters = Array.from({ length: n }, (_, i) => [i]);
  for (;;) {
    let best = { a: -1, b: -1, score: -Infinity };
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        let sum = 0;
        for (const i of clusters[a]) for (const j of clusters[b]) sum += similarity(i, j);
        const score = sum / (clusters[a].length * clusters[b].length);
        if (score > best.score) best = { a, b, score };
      }
    }
    if (best.score < threshold) break;
    clusters[best.a] = [...clusters[best.a], ...clusters[best.b]];
    clusters = clusters.filter((_, index) => index !== best.b);
  }
  return clusters.filter((cluster) => cluster.length > 1);
}

const canonical = (groups: number[][]) => groups.map((g) => [...g].sort((x, y) => x - y).join(',')).sort();

function groupsOf(labels: Int32Array): number[][] {
  const groups = new Map<number, number[]>();
  labels.forEach((label, i) => label >= 0 && (groups.get(label) ?? groups.set(label, []).get(label)!).push(i));
  return [...groups.values()];
}

describe('average linkage', () => {
  test('merging reciprocal nearest clusters by their sums gives the textbook algorithm’s clusters', () => {
    for (const seed of [1, 2, 3]) {
      // Low dimension: many pairs above the threshold, so clusters grow and chain.
      const dimension = 4;
      const points = randomUnits(60, dimension, seed);
      for (const threshold of [0.5, 0.7, 0.9]) {
        const textbook = canonical(textbookAverageLinkage(points, dimension, threshold));
        for (const bookedMinSize of [2, Infinity]) {
          const result = averageLinkage({ points, dimension, group: Int32Array.from({ length: 60 }, (_, i) => i), ...allPairs(60) }, threshold, { bookedMinSize });
          assert.deepEqual(canonical(groupsOf(result.labels)), textbook, `seed ${seed}, t ${threshold}, booked from ${bookedMinSize}`);
        }
      }
    }
  });

  test('keeping candidates’ sum products between looks changes no cluster (bounds only skip candidates that cannot win)', () => {
    // A synthetic library with a few big people (clusters that absorb many small ones, where
    // kept products are used) and photos of several faces (cannot-link pairs).
    const n = 2000;
    const { embeddings: points, dimension } = syntheticFaces({ faces: n, seed: 11, largestShare: 0.15 });
    const group = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? i + 1 : i));
    const threshold = linkageThresholdFor(n);
    // Each point's k nearest, as the scalable path's candidates.
    const k = 16;
    const edgeA = new Int32Array(n * k);
    const edgeB = new Int32Array(n * k);
    const nearest = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      nearest.fill(-Infinity);
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let sum = 0;
        for (let d = 0; d < dimension; d++) sum += points[i * dimension + d] * points[j * dimension + d];
        let slot = k;
        while (slot > 0 && nearest[slot - 1] < sum) slot--;
        if (slot === k) continue;
        nearest.copyWithin(slot + 1, slot, k - 1);
        edgeB.copyWithin(i * k + slot + 1, i * k + slot, i * k + k - 1);
        nearest[slot] = sum;
        edgeB[i * k + slot] = j;
      }
      edgeA.fill(i, i * k, i * k + k);
    }
    const input = { points, dimension, group, edgeA, edgeB };
    const everyTime = averageLinkage(input, threshold, { bookedMinSize: Infinity });
    assert.ok(everyTime.clusterCount > 20 && everyTime.merges > 1000, `${everyTime.clusterCount} clusters, ${everyTime.merges} merges`);
    for (const bookedMinSize of [2, 8]) {
      const booked = averageLinkage(input, threshold, { bookedMinSize });
      assert.deepEqual(booked.labels, everyTime.labels, `booked from size ${bookedMinSize}`);
      assert.ok(booked.scoreComputations < everyTime.scoreComputations, `${booked.scoreComputations} vs ${everyTime.scoreComputations}`);
    }
    // Points of one photo are apart in the result as well.
    for (const members of groupsOf(everyTime.labels)) assert.equal(new Set(members.map((i) => group[i])).size, members.length);
  });

  test('two points of one group (photo) never share a cluster, however alike', () => {
    const dimension = 4;
    const points = randomUnits(40, dimension, 9);
    const group = Int32Array.from({ length: 40 }, (_, i) => i % 5);
    const result = averageLinkage({ points, dimension, group, ...allPairs(40) }, 0.3);
    assert.ok(result.clusterCount > 0);
    for (const members of groupsOf(result.labels)) {
      assert.equal(new Set(members.map((i) => group[i])).size, members.length);
    }
  });

  test('nothing merges below the threshold, and a point with no candidate edge stays alone', () => {
    const dimension = 8;
    const points = randomUnits(30, dimension, 4);
    const none = averageLinkage({ points, dimension, group: Int32Array.from({ length: 30 }, (_, i) => i), edgeA: new Int32Array(), edgeB: new Int32Array() }, 0);
    assert.equal(none.clusterCount, 0);
    const strict = averageLinkage({ points, dimension, group: Int32Array.from({ length: 30 }, (_, i) => i), ...allPairs(30) }, 1.01);
    assert.equal(strict.clusterCount, 0);
  });
});

describe('linkage threshold by library size', () => {
  test('rises with the number of faces, from the FAR = 1e-3 point to the cap', () => {
    const sizes = [10, 200, 1_000, 4_000, 100_000, 10_000_000];
    const thresholds = sizes.map((n) => linkageThresholdFor(n));
    for (let i = 1; i < thresholds.length; i++) assert.ok(thresholds[i] >= thresholds[i - 1], `${thresholds}`);
    // Small libraries: never looser than a false-accept rate of 1e-3 (z = 3.09).
    assert.ok(Math.abs(thresholds[0] - (LINKAGE_THRESHOLD_MODEL.impostorMean + 3.09 * LINKAGE_THRESHOLD_MODEL.impostorSd)) < 0.002);
    assert.equal(thresholds.at(-1), LINKAGE_THRESHOLD_MODEL.maxThreshold);
    assert.ok(thresholds[2] > thresholds[0] + 0.03 && thresholds[2] < LINKAGE_THRESHOLD_MODEL.maxThreshold);
  });
});

describe('clusterFaces with average linkage', () => {
  test('the scalable path (kNN candidates) finds the exact path’s persons on a synthetic library', async () => {
    const { embeddings, dimension, identity } = syntheticFaces({ faces: 1500, seed: 5 });
    const faces = Array.from({ length: 1500 }, (_, i) => ({ photoId: `photo-${i}`, embedding: embeddings.subarray(i * dimension, (i + 1) * dimension) }));
    const engine = await OnnxSimilarityEngine.create({ threads: 1 });
    try {
      const exact = await clusterFaces(faces, {}, { path: 'exact' });
      const scalable = await clusterFaces(faces, {}, { path: 'scalable', engine, index: { cellSize: 128 } });
      assert.equal(exact.threshold, linkageThresholdFor(1500));
      const labels = (groups: number[][]) => {
        const predicted = new Int32Array(1500).fill(-1);
        groups.forEach((group, g) => group.forEach((i) => (predicted[i] = g)));
        return noiseAsSingletons(predicted);
      };
      assert.ok(adjustedRandIndex(labels(scalable.groups), labels(exact.groups)) > 0.99);
      assert.ok(adjustedRandIndex(labels(exact.groups), identity) > 0.9);
    } finally {
      await engine.close();
    }
  });
});
