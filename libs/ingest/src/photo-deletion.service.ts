import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BLOB_STORE,
  ClusteringRunRepository,
  DATABASE,
  PersonRepository,
  PhotoRepository,
  withTransaction,
  type BlobStore,
  type Database,
} from '@facecloud/storage';

/** Removes a photo with everything derived from it. */
@Injectable()
export class PhotoDeletionService {
  private readonly logger = new Logger(PhotoDeletionService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly photos: PhotoRepository,
    private readonly persons: PersonRepository,
    private readonly runs: ClusteringRunRepository,
  ) {}

  /**
   * Deletes the photo, its faces and any pending job in one transaction; persons left
   * without faces go too (migration 0010), and the library is marked for re-clustering. The original's bytes
   * are removed afterwards unless another photo (of any owner) has the same bytes.
   * Returns false when the owner has no such photo.
   */
  async delete(ownerId: string, photoId: string): Promise<boolean> {
    const deleted = await withTransaction(this.database.pool, async (client) => {
      const photo = await this.photos.delete(client, photoId, ownerId);
      if (!photo) return undefined;
      await this.runs.markLibraryChanged(client, ownerId);
      return photo;
    });
    if (!deleted) return false;
    if (!(await this.photos.isBlobReferenced(this.database.pool, deleted.sha256))) await this.blobs.delete(deleted.sha256);
    this.logger.log(`deleted photo ${photoId} of ${ownerId}`);
    return true;
  }
}
