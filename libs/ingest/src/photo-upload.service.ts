import { Inject, Injectable, Logger } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { IngestJobNotifier } from '@facecloud/queue';
import {
  BLOB_STORE,
  DATABASE,
  IngestJobRepository,
  PhotoRepository,
  withTransaction,
  type BlobStore,
  type Database,
  type PhotoStatus,
} from '@facecloud/storage';

/** Formats accepted for upload: what libvips decodes safely and photo clouds receive. */
export const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'tiff', 'avif']);

export interface IncomingFile {
  /** Temporary file holding the uploaded bytes, on the blob store's file system. */
  path: string;
  originalName: string;
}

export type UploadResult =
  | { fileName: string; outcome: 'accepted' | 'duplicate'; photoId: string; status: PhotoStatus }
  | { fileName: string; outcome: 'rejected'; error: string };

/** Accepts uploaded files: checks the format, stores the original, records the photo and its job. */
@Injectable()
export class PhotoUploadService {
  private readonly logger = new Logger(PhotoUploadService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly photos: PhotoRepository,
    private readonly jobs: IngestJobRepository,
    private readonly notifier: IngestJobNotifier,
  ) {}

  async accept(ownerId: string, files: IncomingFile[]): Promise<UploadResult[]> {
    const results: UploadResult[] = [];
    for (const file of files) results.push(await this.acceptOne(ownerId, file));
    if (results.some((result) => result.outcome === 'accepted')) this.notifier.jobsEnqueued();
    return results;
  }

  private async acceptOne(ownerId: string, file: IncomingFile): Promise<UploadResult> {
    const fileName = file.originalName;
    const inspection = await this.inspect(file.path);
    if ('problem' in inspection) {
      await rm(file.path, { force: true });
      this.logger.warn(`rejected upload "${fileName}" for ${ownerId}: ${inspection.problem}`);
      return { fileName, outcome: 'rejected', error: inspection.problem };
    }
    const contentType = `image/${inspection.format}`;
    const { sha256, byteSize } = await this.blobs.putFile(file.path);
    const { photo, created } = await withTransaction(this.database.pool, async (client) => {
      const found = await this.photos.insertOrFind(client, { ownerId, sha256, byteSize, contentType, originalName: fileName });
      // The job is written with the photo: a photo is never recorded without its job.
      if (found.created) await this.jobs.enqueue(client, found.photo.id, ownerId);
      return found;
    });
    return { fileName, outcome: created ? 'accepted' : 'duplicate', photoId: photo.id, status: photo.status };
  }

  /** Reads only the header: cheap, and refuses bombs before any pixel is decoded. */
  private async inspect(path: string): Promise<{ format: string } | { problem: string }> {
    let metadata;
    try {
      metadata = await sharp(path).metadata();
    } catch {
      return { problem: 'not a readable image (accepted: JPEG, PNG, WebP, TIFF, AVIF)' };
    }
    if (!metadata.format || !ACCEPTED_FORMATS.has(metadata.format)) {
      return { problem: `unsupported image format "${metadata.format}" (accepted: JPEG, PNG, WebP, TIFF, AVIF)` };
    }
    const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
    if (pixels > this.config.DECODE_MAX_INPUT_PIXELS) {
      return {
        problem: `image is ${metadata.width}×${metadata.height} pixels, over the limit of ${this.config.DECODE_MAX_INPUT_PIXELS}`,
      };
    }
    return { format: metadata.format };
  }
}
