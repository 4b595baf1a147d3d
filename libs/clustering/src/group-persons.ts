import type { AppConfig } from '@facecloud/config';
import { clusterFaces, type ClusterOptions, type FaceGrouping } from './group-faces';
import type { VoteRule } from './neighbour-vote';
import { resolvePersons, type ResolvedPersons, type RunFace, type RunPerson } from './resolve-persons';

/** What a clustering run reads: the owner's faces, persons and "not this person" decisions. */
export interface PersonGroupingInput {
  faces: RunFace[];
  persons: RunPerson[];
  exclusions: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface PersonGroupingSettings {
  algorithm: NonNullable<ClusterOptions['algorithm']>;
  /** Average linkage: fixed threshold; unset = by library size. */
  linkageThreshold?: number;
  /** HDBSCAN: 0 = by library size. */
  minClusterSize: number;
  minSamples: number;
  /** How a face that lost its place (one face per photo) finds its next-best person. */
  vote: VoteRule;
}

/** The clusterer's settings from the service configuration (the evaluation reads the defaults the same way). */
export function personGroupingSettings(
  config: Pick<
    AppConfig,
    | 'CLUSTER_ALGORITHM'
    | 'CLUSTER_LINKAGE_THRESHOLD'
    | 'CLUSTER_MIN_CLUSTER_SIZE'
    | 'CLUSTER_MIN_SAMPLES'
    | 'CLUSTER_ASSIGN_NEIGHBOURS'
    | 'CLUSTER_ASSIGN_MIN_SIMILARITY'
    | 'CLUSTER_ASSIGN_MIN_VOTES'
  >,
): PersonGroupingSettings {
  return {
    algorithm: config.CLUSTER_ALGORITHM,
    ...(config.CLUSTER_LINKAGE_THRESHOLD > 0 ? { linkageThreshold: config.CLUSTER_LINKAGE_THRESHOLD } : {}),
    minClusterSize: config.CLUSTER_MIN_CLUSTER_SIZE,
    minSamples: config.CLUSTER_MIN_SAMPLES,
    vote: {
      neighbours: config.CLUSTER_ASSIGN_NEIGHBOURS,
      minSimilarity: config.CLUSTER_ASSIGN_MIN_SIMILARITY,
      minVotes: config.CLUSTER_ASSIGN_MIN_VOTES,
    },
  };
}

/**
 * A clustering run's computation, without storage: the faces grouped (clusterFaces), then the
 * groups turned into persons under the user's decisions (resolvePersons). The clusterer runs
 * exactly this between reading a library and writing its persons, and the evaluation runs it
 * on a labelled library, so what the evaluation measures is what users get.
 */
export async function groupPersons(
  input: PersonGroupingInput,
  settings: PersonGroupingSettings,
  options: Pick<ClusterOptions, 'engine' | 'path' | 'index'> = {},
): Promise<{ resolved: ResolvedPersons; grouping: FaceGrouping }> {
  const grouping = await clusterFaces(
    input.faces,
    { minClusterSize: settings.minClusterSize, minSamples: settings.minSamples },
    { ...options, algorithm: settings.algorithm, ...(settings.linkageThreshold ? { threshold: settings.linkageThreshold } : {}) },
  );
  const resolved = resolvePersons(input.faces, input.persons, input.exclusions, grouping.groups, {
    minClusterSize: grouping.params.minClusterSize,
    vote: settings.vote,
  });
  return { resolved, grouping };
}
