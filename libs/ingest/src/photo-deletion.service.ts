import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BLOB_STORE,
  DATABASE,
  Repositories,
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
    private readonly repositories: Repositories,
  ) {}

  /**
   * Deletes the photo, its faces and any pending job in one transaction; persons left
   * without faces go too (migration 0010), and the library is marked for re-clustering. The original's bytes
   * are removed afterwards unless another photo (of any owner) has the same bytes.
   * Returns false when the owner has no such photo.
   */
  async delete(ownerId: string, photoId: string): Promise<boolean> {
    const deleted = await withTransaction(this.database.pool, async (client) => {
      const { photos, runs } = this.repositories.forOwner(client, ownerId);
      const photo = await photos.delete(photoId);
      if (!photo) return undefined;
      await runs.markLibraryChanged();
      return photo;
    });
    if (!deleted) return false;
    const { photos } = this.repositories.acrossOwners(this.database.pool);
    if (!(await photos.isBlobReferenced(deleted.sha256))) await this.blobs.delete(deleted.sha256);
    this.logger.log(`deleted photo ${photoId} of ${ownerId}`);
    return true;
  }
}
