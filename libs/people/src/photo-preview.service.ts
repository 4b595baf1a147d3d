import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { decodeMemoryEstimate, decodeMemoryProblem, withDecodeMemory } from '@facecloud/vision';
import { BLOB_STORE, DATABASE, Repositories, type BlobStore, type Database } from '@facecloud/storage';

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
    private readonly repositories: Repositories,
  ) {}

  async find(ownerId: string, photoId: string, size: number): Promise<PhotoPreview | undefined> {
    const photo = await this.repositories.forOwner(this.database.pool, ownerId).photos.find(photoId);
    if (!photo) return undefined;
    return {
      etag: `"${photo.sha256}-${size}"`,
      render: async () => this.render(await this.blobs.readBuffer(photo.sha256), size),
    };
  }

  /**
   * Shrunk on load where the format allows; an image that cannot be streamed waits its turn
   * in the process's decoder memory, and one over the limit (stored before the limit was
   * lowered) is refused rather than decoded.
   */
  private async render(original: Buffer, size: number): Promise<Buffer> {
    const maxMemoryBytes = this.config.DECODE_MAX_MEMORY_BYTES;
    const pipeline = sharp(original, { limitInputPixels: this.config.DECODE_MAX_INPUT_PIXELS });
    const metadata = await pipeline.metadata();
    const memoryProblem = decodeMemoryProblem(metadata, maxMemoryBytes);
    if (memoryProblem) throw new Error(memoryProblem);
    return withDecodeMemory(decodeMemoryEstimate(metadata)?.bytes ?? 0, maxMemoryBytes, () =>
      pipeline
        .rotate()
        .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 82, mozjpeg: false })
        .toBuffer(),
    );
  }
}
