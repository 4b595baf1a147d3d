export { hdbscan, type HdbscanOptions, type HdbscanResult, type Metric } from './hdbscan';
export { adjustedRandIndex, noiseAsSingletons } from './partition-metrics';
export { matchClustersToPersons, type PersonAssignment } from './person-matching';
export { resolvePersons, type RunFace, type RunPerson, type ResolvedPersons, type ResolveOptions } from './resolve-persons';
export { voteForPerson, type Neighbour, type VoteRule } from './neighbour-vote';
export {
  keepOneFacePerPhoto,
  keepOneFacePerPhotoOfGroup,
  photoSlotOrder,
  placeOnePerPhoto,
  similarityToMean,
  type GroupedFace,
  type PhotoSlotClaim,
} from './person-rules';
export {
  clusterFaces,
  EXACT_PATH_MAX_FACES,
  groupFaces,
  LINKAGE_NEIGHBOURS,
  linkPoints,
  type ClusterableFace,
  type ClusteringAlgorithm,
  type ClusterOptions,
  type FaceGrouping,
  type GroupingParams,
} from './group-faces';
export { clusteringParamsFor, SINGLE_PERSON_MAX_DISTANCE, type ClusteringParams } from './clustering-params';
export { averageLinkage, type LinkageInput, type LinkageResult } from './average-linkage';
export { linkageThresholdFor, LINKAGE_THRESHOLD_MODEL, type LinkageThresholdModel } from './linkage-threshold';
export { hdbscanScalable, type ScalableHdbscanOptions } from './hdbscan-scalable';
export { seededRandom } from './knn/cell-index';
export { OnnxSimilarityEngine, sharedSimilarityEngine, type SimilarityEngine } from './knn/similarity-engine';
export { groupPersons, personGroupingSettings, type PersonGroupingInput, type PersonGroupingSettings } from './group-persons';
export { joinByAverageLinkage, type PersonCandidate } from './join-person';
export { ClusteringQueueService } from './clustering-queue.service';
export { ClusteringRunService } from './clustering-run.service';
export { IncrementalAssignmentService } from './incremental-assignment.service';
export { ClusteringModule, clusteringServices } from './clustering.module';
