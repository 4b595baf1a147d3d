export {
  assertEmbeddedFolderFree,
  embeddedLockPath,
  isDatabaseUnavailable,
  openDatabase,
  restoreEmbeddedDatabase,
  withTransaction,
  type Database,
  type DatabaseKind,
  type Queryable,
} from './database';
export { DataFolderInUseError, DataFolderLock, type DataFolderHolder } from './data-folder-lock';
export { ClaimHolder, CLAIM_LOCK_SPACE, LIVE_CLAIM_HOLDERS_SQL } from './claim-holder';
export { runMigrations, rebuildIndexes, migrationsDir } from './migrate';
export { toVectorParam, parseVector } from './vector';
export { LocalBlobStore, removeFilesModifiedBefore, sha256OfFile, type BlobStore } from './blob-store';
export { Repositories, type OwnerRepositories, type CrossOwnerRepositories } from './repositories';
export {
  PhotoRepository,
  AllPhotos,
  type Photo,
  type PhotoStatus,
  type NewPhoto,
  type PhotoCursor,
  type PhotoListQuery,
  type PhotoProgress,
} from './photos.repository';
export {
  FaceRepository,
  AllFaces,
  type AssignedNeighbour,
  type FaceAssignedBy,
  type FaceBox,
  type FaceCursor,
  type FaceEmbedding,
  type FaceKind,
  type FacePlacement,
  type FaceQuality,
  type FaceRecord,
  type NearestOptions,
  type NewFace,
} from './faces.repository';
export {
  PersonRepository,
  type ExportedFace,
  type ExportedPerson,
  type PersonAssignment,
  type PersonCursor,
  type PersonFilter,
  type PersonListQuery,
  type PersonMergeRecord,
  type PersonRecord,
  type PersonRow,
  type PersonSort,
} from './persons.repository';
export { IngestJobRepository, IngestJobQueue, type ClaimedJob } from './ingest-jobs.repository';
export {
  ClusteringRunRepository,
  ClusteringRunQueue,
  type ClusteringRun,
  type ClusteringRunRequester,
  type ClusteringRunResult,
  type ClusteringRunStatus,
  type RunSchedule,
} from './clustering-runs.repository';
export { UserRepository, type User, type ApiToken, type NewToken, type TokenKind } from './users.repository';
export { StorageModule, DATABASE, BLOB_STORE, openDatabaseFromConfig, blobDirFromConfig, embeddedDirFromConfig } from './storage.module';
