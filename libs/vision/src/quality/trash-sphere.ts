import { l2NormalizeInPlace } from '../vector';

/*
 * The "trash sphere": non-faces the detector lets through (textures, diagrams, animals, text)
 * embed close to one another, so everything within a cosine radius of the mean non-face
 * embedding (the centroid) is treated as trash. The radius is kept as a cosine similarity: a
 * detection is trash when its similarity to the centroid is at or above the threshold.
 */

/** L2-normalised mean of unit embeddings (the direction of their centre of mass). */
export function trashCentroid(embeddings: readonly Float32Array[]): Float32Array {
  if (embeddings.length === 0) throw new RangeError('the trash centroid needs at least one embedding');
  const dimension = embeddings[0].length;
  const sum = new Float64Array(dimension);
  for (const embedding of embeddings) {
    if (embedding.length !== dimension) throw new RangeError(`embedding lengths differ: ${embedding.length} vs ${dimension}`);
    for (let i = 0; i < dimension; i++) sum[i] += embedding[i];
  }
  return l2NormalizeInPlace(Float32Array.from(sum));
}

/** Cosine similarity of a unit embedding to the (unit) centroid: the dot product. */
export function trashSimilarity(embedding: Float32Array, centroid: Float32Array): number {
  if (embedding.length !== centroid.length) {
    throw new RangeError(`embedding has ${embedding.length} dimensions, the trash centroid ${centroid.length}`);
  }
  let dot = 0;
  for (let i = 0; i < embedding.length; i++) dot += embedding[i] * centroid[i];
  return dot;
}

export function isTrash(similarity: number, threshold: number): boolean {
  return similarity >= threshold;
}
