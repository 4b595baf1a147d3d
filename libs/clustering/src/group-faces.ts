import { hdbscan } from './hdbscan';
import { keepOneFacePerPhoto, type ClusterMember } from './one-face-per-photo';

export interface ClusterableFace {
  photoId: string;
  /** Unit vector. */
  embedding: Float32Array;
}

export interface GroupingParams {
  minClusterSize: number;
  minSamples: number;
}

/**
 * The person groups of a set of faces, as indices into `faces`: HDBSCAN on cosine distance,
 * then at most one face per photo in a group, and groups still at least minClusterSize.
 * Faces in no group are left out. The clusterer and the evaluation both use this, so the
 * evaluation measures what users get.
 */
export function groupFaces(faces: readonly ClusterableFace[], params: GroupingParams): number[][] {
  const { labels, probabilities, clusterCount } = hdbscan(
    faces.map((face) => face.embedding),
    { ...params, metric: 'cosine' },
  );
  const members: ClusterMember[][] = Array.from({ length: clusterCount }, () => []);
  labels.forEach((label, i) => {
    if (label >= 0) members[label].push({ faceId: String(i), photoId: faces[i].photoId, strength: probabilities[i] });
  });
  return keepOneFacePerPhoto(members)
    .clusters.map((cluster) => cluster.map((member) => Number(member.faceId)))
    .filter((group) => group.length >= params.minClusterSize);
}
