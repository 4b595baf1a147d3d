import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { BLOB_STORE, DATABASE, PhotoRepository, type BlobStore, type Database, type Photo, type PhotoListQuery } from '@facecloud/storage';

/** An owner's photos as stored: listing, one photo, its original bytes. */
@Injectable()
export class PhotoLibraryService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly photos: PhotoRepository,
  ) {}

  /** Up to `limit` photos after the cursor's position, newest first. */
  list(ownerId: string, query: PhotoListQuery): Promise<Photo[]> {
    return this.photos.list(this.database.pool, ownerId, query);
  }

  find(ownerId: string, photoId: string): Promise<Photo | undefined> {
    return this.photos.findById(this.database.pool, photoId, ownerId);
  }

  /** The photo with a stream of its original bytes, or undefined when the owner has no such photo. */
  async original(ownerId: string, photoId: string): Promise<{ photo: Photo; bytes: Readable } | undefined> {
    const photo = await this.find(ownerId, photoId);
    return photo && { photo, bytes: this.blobs.read(photo.sha256) };
  }
}
