import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, Repositories, type Database } from '@facecloud/storage';

/** The aligned face crops stored with each face. A crop never changes: re-processing a photo makes new face ids. */
@Injectable()
export class FaceThumbnailService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    private readonly repositories: Repositories,
  ) {}

  /** Whether the owner has the face: an index lookup, for revalidating a cached crop without reading it. */
  exists(ownerId: string, faceId: string): Promise<boolean> {
    return this.repositories.forOwner(this.database.pool, ownerId).faces.exists(faceId);
  }

  /** The JPEG crop, or undefined when the owner has no such face. */
  read(ownerId: string, faceId: string): Promise<Buffer | undefined> {
    return this.repositories.forOwner(this.database.pool, ownerId).faces.thumbnail(faceId);
  }
}
