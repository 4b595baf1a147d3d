import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BLOB_STORE,
  DATABASE,
  FaceRepository,
  PhotoRepository,
  withTransaction,
  type BlobStore,
  type Database,
  type NewFace,
} from '@facecloud/storage';
import { ImageDecodeError, type FaceAnalyzer } from '@facecloud/vision';
import { errorMessage, type IngestJob } from '@facecloud/queue';

export const FACE_ANALYZER = Symbol('FACE_ANALYZER');

export type IngestOutcome = 'done' | 'skipped' | 'failed';

/**
 * One photo from stored original to faces in the database. Safe to run twice for the same
 * photo: faces are replaced in the transaction that marks the photo done, and a photo
 * already done is skipped.
 */
@Injectable()
export class PhotoIngestService {
  private readonly logger = new Logger(PhotoIngestService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(FACE_ANALYZER) private readonly analyzer: FaceAnalyzer,
    private readonly photos: PhotoRepository,
    private readonly faces: FaceRepository,
  ) {}

  /** Throws on transient trouble (database, model) so the queue retries later. */
  async process(job: IngestJob): Promise<IngestOutcome> {
    const { pool } = this.database;
    const photo = await this.photos.findById(pool, job.photoId, job.ownerId);
    if (!photo) {
      this.logger.warn(`photo ${job.photoId} no longer exists; dropping its job`);
      return 'skipped';
    }
    if (photo.status === 'done') return 'skipped';

    if (!(await this.blobs.exists(photo.sha256))) {
      await this.photos.markFailed(pool, photo.id, 'original is missing from the blob store');
      return 'failed';
    }
    await this.photos.markProcessing(pool, photo.id);
    const startedAt = performance.now();
    let analysis;
    try {
      analysis = await this.analyzer.analyze(await this.blobs.readBuffer(photo.sha256));
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      // Undecodable input will not get better on retry: record why and move on.
      await this.photos.markFailed(pool, photo.id, error.message);
      this.logger.warn(`photo ${photo.id} failed: ${error.message}`);
      return 'failed';
    }
    const faces: NewFace[] = analysis.faces.map((face) => ({
      box: { x: face.box.x1, y: face.box.y1, width: face.box.x2 - face.box.x1, height: face.box.y2 - face.box.y1 },
      landmarks: face.landmarks,
      detectionScore: face.score,
      embedding: face.embedding,
      embeddingModel: this.analyzer.embedderName,
      thumbnailJpeg: face.thumbnailJpeg,
    }));
    await withTransaction(pool, async (client) => {
      await this.faces.replaceForPhoto(client, photo.id, photo.ownerId, faces);
      await this.photos.markDone(client, photo.id, {
        width: analysis.width,
        height: analysis.height,
        faceCount: faces.length,
      });
    });
    this.logger.log(
      `photo ${photo.id}: ${faces.length} face(s) in ${Math.round(performance.now() - startedAt)} ms (attempt ${job.attempt})`,
    );
    return 'done';
  }

  /** Records a photo whose job failed on every attempt, so the user sees why. */
  async giveUp(job: IngestJob, error: unknown): Promise<void> {
    const reason = `processing failed after ${job.attempt} attempt(s): ${errorMessage(error)}`;
    await this.photos.markFailed(this.database.pool, job.photoId, reason);
    this.logger.error(`photo ${job.photoId}: ${reason}`);
  }
}
