export { openDatabase, withTransaction, type Database, type DatabaseKind, type Queryable } from './database';
export { runMigrations, migrationsDir } from './migrate';
export { toVectorParam, parseVector } from './vector';
export { LocalBlobStore, sha256OfFile, type BlobStore } from './blob-store';
export {
  PhotoRepository,
  type Photo,
  type PhotoStatus,
  type NewPhoto,
  type PhotoCursor,
  type PhotoListQuery,
} from './photos.repository';
export { DeadLetterRepository, type DeadLetter } from './dead-letters.repository';
export {
  FaceRepository,
  type Face,
  type FaceBox,
  type FaceEmbedding,
  type FaceKind,
  type FaceQuality,
  type NewFace,
} from './faces.repository';
export { PersonRepository, type PersonSummary, type PersonAssignment } from './persons.repository';
export { IngestJobRepository, type ClaimedJob } from './ingest-jobs.repository';
export { ClusteringRunRepository, type ClusteringRunResult } from './clustering-runs.repository';
export { StorageModule, DATABASE, BLOB_STORE, openDatabaseFromConfig, blobDirFromConfig } from './storage.module';
