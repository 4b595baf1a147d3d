import { Injectable } from '@nestjs/common';
import { ClusteringRunQueue, ClusteringRunRepository } from './clustering-runs.repository';
import type { Queryable } from './database';
import { AllFaces, FaceRepository } from './faces.repository';
import { IngestJobQueue, IngestJobRepository } from './ingest-jobs.repository';
import { PersonRepository } from './persons.repository';
import { AllPhotos, PhotoRepository } from './photos.repository';
import { UserRepository } from './users.repository';

/** One owner's data, one repository per table family; every query is bound to that owner. */
export interface OwnerRepositories {
  readonly photos: PhotoRepository;
  readonly faces: FaceRepository;
  readonly persons: PersonRepository;
  readonly runs: ClusteringRunRepository;
  readonly jobs: IngestJobRepository;
}

/** The queries that are across owners by nature. */
export interface CrossOwnerRepositories {
  /** Blob references (the blob store is shared by all owners). */
  readonly photos: AllPhotos;
  /** Owners with faces waiting for clustering; the vector extension. */
  readonly faces: AllFaces;
  /** Claiming runs and taking back lost ones; the schedule. */
  readonly runs: ClusteringRunQueue;
  /** Claiming, settling and publishing ingest jobs; queue counts. */
  readonly jobs: IngestJobQueue;
  /** Users and credentials (checked before anyone is known). */
  readonly users: UserRepository;
}

/**
 * The way into storage: `forOwner(db, ownerId)` for everything that belongs to one owner (no
 * method there takes an owner, so none can forget or swap it); `acrossOwners(db)` for the few
 * queries that span owners. `db` is the pool, or a transaction's client.
 */
@Injectable()
export class Repositories {
  forOwner(db: Queryable, ownerId: string): OwnerRepositories {
    return {
      photos: new PhotoRepository(db, ownerId),
      faces: new FaceRepository(db, ownerId),
      persons: new PersonRepository(db, ownerId),
      runs: new ClusteringRunRepository(db, ownerId),
      jobs: new IngestJobRepository(db, ownerId),
    };
  }

  acrossOwners(db: Queryable): CrossOwnerRepositories {
    return {
      photos: new AllPhotos(db),
      faces: new AllFaces(db),
      runs: new ClusteringRunQueue(db),
      jobs: new IngestJobQueue(db),
      users: new UserRepository(db),
    };
  }
}
