import { Inject, Injectable, Logger } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import { IngestJobNotifier } from '@facecloud/queue';
import { decodeMemoryEstimate, decodeMemoryProblem, withDecodeMemory } from '@facecloud/vision';
import {
  BLOB_STORE,
  DATABASE,
  Repositories,
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
    private readonly repositories: Repositories,
    private readonly notifier: IngestJobNotifier,
  ) {}

  async accept(ownerId: string, files: IncomingFile[]): Promise<UploadResult[]> {
    const results: UploadResult[] = [];
    for (const file of files) results.push(await this.acceptOne(ownerId, file));
    for (const result of results) metrics.uploads.inc({ outcome: result.outcome });
    if (results.some((result) => result.outcome === 'accepted')) this.notifier.jobsEnqueued();
    return results;
  }

  private async acceptOne(ownerId: string, file: IncomingFile): Promise<UploadResult> {
    const fileName = file.originalName;
    const checked = metrics.stageSeconds.startTimer({ stage: 'upload_check' });
    const nameProblem = fileNameProblem(fileName);
    const inspection = nameProblem ? { problem: nameProblem } : await this.inspect(file.path);
    checked();
    if ('problem' in inspection) {
      await rm(file.path, { force: true });
      this.logger.warn(`rejected upload ${JSON.stringify(fileName)} for ${ownerId}: ${inspection.problem}`);
      return { fileName, outcome: 'rejected', error: inspection.problem };
    }
    const contentType = `image/${inspection.format}`;
    const stored = metrics.stageSeconds.startTimer({ stage: 'upload_store' });
    const { sha256, byteSize } = await this.blobs.putFile(file.path);
    const { photo, created } = await withTransaction(this.database.pool, async (client) => {
      const { photos, jobs } = this.repositories.forOwner(client, ownerId);
      const found = await photos.insertOrFind({ sha256, byteSize, contentType, originalName: fileName });
      // The job is written with the photo: a photo is never recorded without its job.
      if (found.created) await jobs.enqueue(found.photo.id);
      return found;
    });
    stored();
    return { fileName, outcome: created ? 'accepted' : 'duplicate', photoId: photo.id, status: photo.status };
  }

  /** Refuses bombs and images too costly to decode from the header, before any pixel is decoded. */
  private async inspect(path: string): Promise<{ format: string } | { problem: string }> {
    let metadata;
    try {
      // No pixel limit for reading the header: the limit is checked below, with a clear message.
      metadata = await sharp(path, { limitInputPixels: false }).metadata();
    } catch {
      return { problem: 'not a readable image (accepted: JPEG, PNG, WebP, TIFF, AVIF)' };
    }
    const format = formatName(metadata);
    if (!ACCEPTED_FORMATS.has(format)) {
      return { problem: `unsupported image format "${format}" (accepted: JPEG, PNG, WebP, TIFF, AVIF)` };
    }
    const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
    if (pixels > this.config.DECODE_MAX_INPUT_PIXELS) {
      return {
        problem: `image is ${metadata.width}×${metadata.height} pixels, over the limit of ${this.config.DECODE_MAX_INPUT_PIXELS}`,
      };
    }
    const maxMemoryBytes = this.config.DECODE_MAX_MEMORY_BYTES;
    const memoryProblem = decodeMemoryProblem(metadata, maxMemoryBytes);
    if (memoryProblem) return { problem: memoryProblem };
    // The header alone passes truncated files: decoding (shrunk on load, cheap for baseline
    // JPEG) with the worker's strictness refuses them here instead of leaving a photo to fail
    // later. Images that cannot be streamed wait their turn in the process's decoder memory.
    try {
      await withDecodeMemory(decodeMemoryEstimate(metadata)?.bytes ?? 0, maxMemoryBytes, () =>
        sharp(path, { failOn: 'error', limitInputPixels: this.config.DECODE_MAX_INPUT_PIXELS })
          .resize({ width: 256, height: 256, fit: 'inside', withoutEnlargement: true })
          .raw()
          .toBuffer(),
      );
    } catch {
      return { problem: 'image data is truncated or corrupt' };
    }
    return { format };
  }
}

/**
 * The format's name as users know it. sharp calls every HEIF-container image "heif"; the
 * compression inside tells AVIF (AV1: decoded by sharp's libvips) from HEIC (HEVC, as iPhones
 * save photos: sharp's prebuilt libvips has no HEVC decoder, so it is refused by name).
 */
function formatName(metadata: sharp.Metadata): string {
  if (metadata.format !== 'heif') return metadata.format ?? 'unknown';
  if (metadata.compression === 'av1') return 'avif';
  if (metadata.compression === 'hevc') return 'HEIC';
  return `HEIF with ${metadata.compression ?? 'unknown'} compression`;
}

/** Control characters, and bidirectional overrides that disguise extensions ("photo\u202Egpj.exe"). */
const UNSAFE_NAME_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * Why a file name is refused, if it is: browsers send a bare name, so a path (traversal or
 * absolute) marks a crafted request. Stored names never reach the file system (blobs are
 * content-addressed); this keeps them safe for logs, downloads and other tools.
 */
function fileNameProblem(name: string): string | undefined {
  if (name.length > 255) return 'file name longer than 255 characters';
  if (UNSAFE_NAME_CHARACTERS.test(name)) return 'file name contains control characters';
  if (/[/\\]/.test(name)) return 'file name contains a path (/ or \\)';
  return undefined;
}
