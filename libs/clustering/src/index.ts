export { hdbscan, type HdbscanOptions, type HdbscanResult, type Metric } from './hdbscan';
export { adjustedRandIndex, noiseAsSingletons } from './partition-metrics';
export { matchClustersToPersons } from './person-matching';
export { keepOneFacePerPhoto, type ClusterMember } from './one-face-per-photo';
export { groupFaces, type ClusterableFace, type GroupingParams } from './group-faces';
export { FaceClusteringService } from './face-clustering.service';
export { ClusteringModule } from './clustering.module';
