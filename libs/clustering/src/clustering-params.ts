/**
 * HDBSCAN parameters for a library of a given size. Small libraries need the smallest
 * settings (two photos of someone make a person); large ones raise both slowly, so that the
 * many chance pairs among 10^5 strangers' faces do not each become a person and noise does not
 * chain persons together. Chosen on the dev set (n = 200: 2/2 gives the best BCubed F) and on
 * synthetic libraries (tools/bench/clustering.ts); every value can be overridden.
 */
export interface ClusteringParams {
  minClusterSize: number;
  minSamples: number;
  /** Mutual-reachability distance within which a library that never splits is still one person (see hdbscan-tree.ts). */
  singleClusterMaxDistance: number;
}

/** Same person at cosine ≥ 0.55: stricter than the dev set's TAR@FAR=1e-3 threshold (0.454). */
export const SINGLE_PERSON_MAX_DISTANCE = 0.45;

export function clusteringParamsFor(faceCount: number, overrides: Partial<ClusteringParams> = {}): ClusteringParams {
  // 2 up to 1k faces, 3 up to 100k, 4 beyond.
  const scaled = faceCount <= 1_000 ? 2 : faceCount <= 100_000 ? 3 : 4;
  const pick = (value: number | undefined, fallback: number) => (value !== undefined && value > 0 ? value : fallback);
  return {
    minClusterSize: pick(overrides.minClusterSize, scaled),
    minSamples: pick(overrides.minSamples, scaled),
    singleClusterMaxDistance: pick(overrides.singleClusterMaxDistance, SINGLE_PERSON_MAX_DISTANCE),
  };
}
