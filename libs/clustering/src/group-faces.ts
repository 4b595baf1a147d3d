import { clusteringParamsFor, type ClusteringParams } from './clustering-params';
import { hdbscan } from './hdbscan';
import { hdbscanScalable } from './hdbscan-scalable';
import type { HdbscanResult } from './hdbscan-tree';
import type { CellIndexOptions } from './knn/cell-index';
import { sharedSimilarityEngine, type SimilarityEngine } from './knn/similarity-engine';
import { keepOneFacePerPhoto, type ClusterMember } from './one-face-per-photo';

export interface ClusterableFace {
  photoId: string;
  /** Unit vector. */
  embedding: Float32Array;
}

/** Unset or 0: chosen by library size (clusteringParamsFor). */
export type GroupingParams = Partial<ClusteringParams>;

/** Up to this many faces the exact O(n²) path runs (≈ 3 s at 2000 faces); above, the scalable one. */
export const EXACT_PATH_MAX_FACES = 2000;

export interface FaceGrouping {
  /** Person groups as indices into the faces. */
  groups: number[][];
  /** HDBSCAN membership strength per face, 0 for faces in no group. */
  strengths: Float32Array;
  params: ClusteringParams;
  path: 'exact' | 'scalable';
}

/**
 * The person groups of a set of faces, as indices into `faces`: HDBSCAN on cosine distance,
 * then at most one face per photo in a group, and groups still at least minClusterSize.
 * Faces in no group are left out. The clusterer and the evaluation both use this, so the
 * evaluation measures what users get. Synchronous and exact: for large libraries use
 * clusterFaces.
 */
export function groupFaces(faces: readonly ClusterableFace[], params: GroupingParams = {}): number[][] {
  const resolved = clusteringParamsFor(faces.length, params);
  const result = hdbscan(
    faces.map((face) => face.embedding),
    { ...resolved, metric: 'cosine' },
  );
  return toGroups(faces, result, resolved).groups;
}

/** As groupFaces, for any library size: the exact path up to EXACT_PATH_MAX_FACES, the scalable one above. */
export async function clusterFaces(
  faces: readonly ClusterableFace[],
  params: GroupingParams = {},
  options: { engine?: SimilarityEngine; path?: 'exact' | 'scalable'; index?: CellIndexOptions } = {},
): Promise<FaceGrouping> {
  const resolved = clusteringParamsFor(faces.length, params);
  const path = options.path ?? (faces.length <= EXACT_PATH_MAX_FACES ? 'exact' : 'scalable');
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
  return { groups, strengths, params: resolved, path };
}

function toGroups(faces: readonly ClusterableFace[], result: HdbscanResult, params: ClusteringParams) {
  const { labels, probabilities, clusterCount } = result;
  const members: ClusterMember[][] = Array.from({ length: clusterCount }, () => []);
  labels.forEach((label, i) => {
    if (label >= 0) members[label].push({ faceId: String(i), photoId: faces[i].photoId, strength: probabilities[i] });
  });
  const groups = keepOneFacePerPhoto(members)
    .clusters.map((cluster) => cluster.map((member) => Number(member.faceId)))
    .filter((group) => group.length >= params.minClusterSize);
  const strengths = new Float32Array(faces.length);
  for (const group of groups) for (const i of group) strengths[i] = probabilities[i];
  return { groups, strengths };
}
