import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { BLOB_STORE, DATABASE, Repositories, type BlobStore, type Database, type Photo, type PhotoListQuery } from '@facecloud/storage';

/** An owner's photos as stored: listing, one photo, its original bytes. */
@Injectable()
export class PhotoLibraryService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly repositories: Repositories,
  ) {}

  private photos(ownerId: string) {
    return this.repositories.forOwner(this.database.pool, ownerId).photos;
  }

  /** Up to `limit` photos after the cursor's position, newest first. */
  list(ownerId: string, query: PhotoListQuery): Promise<Photo[]> {
    return this.photos(ownerId).list(query);
  }

  find(ownerId: string, photoId: string): Promise<Photo | undefined> {
    return this.photos(ownerId).find(photoId);
  }

  /** The photo with a stream of its original bytes, or undefined when the owner has no such photo. */
  async original(ownerId: string, photoId: string): Promise<{ photo: Photo; bytes: Readable } | undefined> {
    const photo = await this.find(ownerId, photoId);
    return photo && { photo, bytes: this.blobs.read(photo.sha256) };
  }
}
