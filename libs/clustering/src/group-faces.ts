import { averageLinkage } from './average-linkage';
import { clusteringParamsFor, type ClusteringParams } from './clustering-params';
import { hdbscan } from './hdbscan';
import { hdbscanScalable } from './hdbscan-scalable';
import type { HdbscanResult } from './hdbscan-tree';
import { buildCellIndex, searchProbedCells, pick, type CellIndexOptions } from './knn/cell-index';
import { sharedSimilarityEngine, type SimilarityEngine } from './knn/similarity-engine';
import { linkageThresholdFor } from './linkage-threshold';
import { keepOneFacePerPhotoOfGroup, type GroupedFace } from './person-rules';

export type ClusterableFace = GroupedFace;

/** Unset or 0: chosen by library size (clusteringParamsFor). */
export type GroupingParams = Partial<ClusteringParams>;

/** Up to this many faces the exact O(n²) path runs (≈ 3 s at 2000 faces); above, the scalable one. */
export const EXACT_PATH_MAX_FACES = 2000;

/**
 * average-linkage (the default): persons are the clusters whose faces average at least the
 * library's threshold (linkageThresholdFor) to each other; hdbscan: density-based, the method
 * before it, kept for comparison (`npm run eval` reports both).
 */
export type ClusteringAlgorithm = 'average-linkage' | 'hdbscan';

/** Nearest neighbours per face whose pairs are the scalable path's merge candidates. */
export const LINKAGE_NEIGHBOURS = 16;

export interface FaceGrouping {
  /** Person groups as indices into the faces. */
  groups: number[][];
  /** HDBSCAN membership strength per face, 0 for faces in no group. */
  strengths: Float32Array;
  params: ClusteringParams;
  path: 'exact' | 'scalable';
  algorithm: ClusteringAlgorithm;
  /** average-linkage: the similarity threshold the run used. */
  threshold?: number;
}

export interface ClusterOptions {
  algorithm?: ClusteringAlgorithm;
  /** average-linkage: a fixed threshold instead of linkageThresholdFor(faces.length). */
  threshold?: number;
  engine?: SimilarityEngine;
  path?: 'exact' | 'scalable';
  index?: CellIndexOptions;
}

/**
 * HDBSCAN's person groups of a set of faces (the comparison method), as indices into `faces`:
 * HDBSCAN on cosine distance, then at most one face per photo in a group, and groups still at
 * least minClusterSize. Faces in no group are left out. Synchronous and exact.
 */
export function groupFaces(faces: readonly ClusterableFace[], params: GroupingParams = {}): number[][] {
  const resolved = clusteringParamsFor(faces.length, params);
  const result = hdbscan(
    faces.map((face) => face.embedding),
    { ...resolved, metric: 'cosine' },
  );
  return toGroups(faces, result, resolved).groups;
}

/**
 * The person groups of a library, for any size: the exact path up to EXACT_PATH_MAX_FACES, the
 * scalable one above. Every group has at least two faces and at most one face per photo. The
 * clusterer and the evaluation both call this, so the evaluation measures what users get.
 */
export async function clusterFaces(
  faces: readonly ClusterableFace[],
  params: GroupingParams = {},
  options: ClusterOptions = {},
): Promise<FaceGrouping> {
  const path = options.path ?? (faces.length <= EXACT_PATH_MAX_FACES ? 'exact' : 'scalable');
  if ((options.algorithm ?? 'average-linkage') === 'average-linkage') return linkFaces(faces, path, options);
  const resolved = clusteringParamsFor(faces.length, params);
  let result: HdbscanResult;
  if (path === 'exact') {
    result = hdbscan(
      faces.map((face) => face.embedding),
      { ...resolved, metric: 'cosine' },
    );
  } else {
    const dimension = faces[0]?.embedding.length ?? 0;
    const points = new Float32Array(faces.length * dimension);
    faces.forEach((face, i) => points.set(face.embedding, i * dimension));
    const engine = options.engine ?? (await sharedSimilarityEngine());
    // `points` is this call's own copy, so the index may reorder it in place.
    result = await hdbscanScalable(points, dimension, engine, { ...resolved, index: { ...options.index, reorderInPlace: true } });
  }
  const { groups, strengths } = toGroups(faces, result, resolved);
  return { groups, strengths, params: resolved, path, algorithm: 'hdbscan' };
}

async function linkFaces(faces: readonly ClusterableFace[], path: 'exact' | 'scalable', options: ClusterOptions): Promise<FaceGrouping> {
  const n = faces.length;
  const threshold = options.threshold ?? linkageThresholdFor(n);
  const dimension = faces[0]?.embedding.length ?? 0;
  const points = new Float32Array(n * dimension);
  faces.forEach((face, i) => points.set(face.embedding, i * dimension));
  const photoNumber = new Map<string, number>();
  const group = Int32Array.from(faces, (face) => {
    let number = photoNumber.get(face.photoId);
    if (number === undefined) photoNumber.set(face.photoId, (number = photoNumber.size));
    return number;
  });
  // `points` is this call's own copy, so the scalable path may reorder it in place.
  const labels = await linkPoints(points, dimension, group, threshold, { ...options, path, index: { ...options.index, reorderInPlace: true } });
  const byLabel = new Map<number, number[]>();
  labels.forEach((label, i) => {
    if (label < 0) return;
    const members = byLabel.get(label);
    if (members) members.push(i);
    else byLabel.set(label, [i]);
  });
  const groups = [...byLabel.values()];
  const strengths = new Float32Array(n);
  for (const members of groups) for (const i of members) strengths[i] = 1;
  return { groups, strengths, params: clusteringParamsFor(n, { minClusterSize: 2, minSamples: 1 }), path, algorithm: 'average-linkage', threshold };
}

/**
 * Average-linkage labels (-1: alone) of n unit vectors back to back, points of one group never
 * together: candidates are all pairs above the threshold on the exact path, each point's
 * LINKAGE_NEIGHBOURS nearest (other groups) on the scalable one, whose index may reorder
 * `points` in place (options.index.reorderInPlace).
 */
export async function linkPoints(
  points: Float32Array,
  dimension: number,
  group: Int32Array,
  threshold: number,
  options: Pick<ClusterOptions, 'engine' | 'path' | 'index'> & { onStage?: (stage: string, milliseconds: number) => void } = {},
): Promise<Int32Array> {
  const n = group.length;
  let clock = performance.now();
  const stage = (name: string) => {
    const now = performance.now();
    options.onStage?.(name, now - clock);
    clock = now;
  };
  if ((options.path ?? (n <= EXACT_PATH_MAX_FACES ? 'exact' : 'scalable')) === 'exact') {
    const candidates = pairsAbove(points, dimension, threshold);
    stage('pairs');
    const { labels } = averageLinkage({ points, dimension, group, ...candidates }, threshold);
    stage('linkage');
    return labels;
  }
  const engine = options.engine ?? (await sharedSimilarityEngine());
  const index = await buildCellIndex(points, dimension, engine, options.index);
  stage('index');
  const k = Math.min(LINKAGE_NEIGHBOURS, n - 1);
  const graph = { neighbours: new Int32Array(n * k), distances: new Float32Array(n * k) };
  const rowGroup = pick(group, index.original);
  await searchProbedCells(index, engine, Int32Array.from({ length: n }, (_, r) => r), k, graph, { group: rowGroup });
  stage('knn');
  // Linkage reads the neighbours only: the distances (64 MB at 1M faces) need not stay through it.
  graph.distances = new Float32Array(0);
  const edgeA = new Int32Array(n * k);
  for (let r = 0; r < n; r++) edgeA.fill(r, r * k, r * k + k);
  const rowLabels = averageLinkage({ points: index.data, dimension, group: rowGroup, edgeA, edgeB: graph.neighbours }, threshold).labels;
  stage('linkage');
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) labels[index.original[r]] = rowLabels[r];
  return labels;
}

/** Every pair of points at cosine similarity ≥ threshold (the exact path's merge candidates). */
function pairsAbove(points: Float32Array, dimension: number, threshold: number): { edgeA: Int32Array; edgeB: Int32Array } {
  const n = points.length / dimension;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let sum = 0;
      for (let d = 0; d < dimension; d++) sum += points[i * dimension + d] * points[j * dimension + d];
      if (sum >= threshold) {
        a.push(i);
        b.push(j);
      }
    }
  }
  return { edgeA: Int32Array.from(a), edgeB: Int32Array.from(b) };
}

function toGroups(faces: readonly ClusterableFace[], result: HdbscanResult, params: ClusteringParams) {
  const { labels, probabilities, clusterCount } = result;
  const members: number[][] = Array.from({ length: clusterCount }, () => []);
  labels.forEach((label, i) => {
    if (label >= 0) members[label].push(i);
  });
  // One face per photo in a group, by the person rule (a group becomes a person).
  const groups = members
    .map((group) => keepOneFacePerPhotoOfGroup(faces, group).kept)
    .filter((group) => group.length >= params.minClusterSize);
  const strengths = new Float32Array(faces.length);
  for (const group of groups) for (const i of group) strengths[i] = probabilities[i];
  return { groups, strengths };
}
