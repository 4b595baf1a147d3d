import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { BLOB_STORE, DATABASE, PhotoRepository, type BlobStore, type Database } from '@facecloud/storage';

export interface PhotoPreview {
  /** Strong validator: the original's SHA-256 and the size, so it changes exactly when the bytes would. */
  etag: string;
  render(): Promise<Buffer>;
}

/**
 * Downscaled, EXIF-rotated JPEG of a photo for display. Face boxes are in the rotated
 * original's pixels, so a client scales them by preview width / original width. Rendering
 * is deferred so that a conditional request (If-None-Match) costs one row lookup only.
 */
@Injectable()
export class PhotoPreviewService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly photos: PhotoRepository,
  ) {}

  async find(ownerId: string, photoId: string, size: number): Promise<PhotoPreview | undefined> {
    const photo = await this.photos.findById(this.database.pool, photoId, ownerId);
    if (!photo) return undefined;
    return {
      etag: `"${photo.sha256}-${size}"`,
      render: async () =>
        sharp(await this.blobs.readBuffer(photo.sha256), { limitInputPixels: this.config.DECODE_MAX_INPUT_PIXELS })
          .rotate()
          .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality: 82, mozjpeg: false })
          .toBuffer(),
    };
  }
}
