import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import {
  BLOB_STORE,
  DATABASE,
  Repositories,
  isDatabaseUnavailable,
  withTransaction,
  type BlobStore,
  type Database,
  type NewFace,
  type Photo,
} from '@facecloud/storage';
import { ImageDecodeError, type PhotoAnalysis, type PhotoAnalyzer } from '@facecloud/vision';
import { errorMessage, type IngestJob, type JobResult } from '@facecloud/queue';

export const FACE_ANALYZER = Symbol('FACE_ANALYZER');

/**
 * Bump when processing changes in a way that should redo already-processed photos
 * (together with the embedder name and the detection settings it forms the version).
 */
const PIPELINE_REVISION = 'p1';

/** A job that can never succeed: dead-lettered at once instead of retried. */
class PermanentFailure extends Error {}

const DONE: JobResult = { status: 'done' };

/** How a job that threw is retried: never (permanent), after an outage, or a few times. */
function failure(error: unknown): JobResult {
  if (error instanceof PermanentFailure) return { status: 'dead', error };
  return { status: isDatabaseUnavailable(error) ? 'unavailable' : 'retry', error };
}

/**
 * Photos from stored originals to faces in the database, a micro-batch at a time. Safe to
 * run twice for the same photo: faces are replaced in the transaction that marks the photo
 * done, and a photo already done by the current pipeline version is skipped.
 */
@Injectable()
export class PhotoIngestService {
  private readonly logger = new Logger(PhotoIngestService.name);
  readonly pipelineVersion: string;
  readonly workerId: string;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(FACE_ANALYZER) private readonly analyzer: PhotoAnalyzer,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repositories: Repositories,
  ) {
    this.pipelineVersion = [
      PIPELINE_REVISION,
      analyzer.embedderName,
      `side${config.DETECT_MAX_SIDE}`,
      `minface${config.DETECT_MIN_FACE_PX}`,
      `thr${config.DETECT_PNET_THRESHOLD},${config.DETECT_RNET_THRESHOLD},${config.DETECT_ONET_THRESHOLD}`,
    ].join('/');
    this.workerId = config.WORKER_ID ?? `${hostname()}:${process.pid}`;
  }

  /** One result per job, in order; never throws for a single bad photo. */
  async processBatch(jobs: IngestJob[]): Promise<JobResult[]> {
    const results: JobResult[] = new Array(jobs.length);
    const toAnalyze: Array<{ index: number; photo: Photo; bytes: Buffer }> = [];
    for (const [index, job] of jobs.entries()) {
      try {
        const prepared = await this.prepare(job);
        if (prepared) toAnalyze.push({ index, ...prepared });
        else results[index] = DONE;
      } catch (error) {
        results[index] = failure(error);
      }
    }
    const startedAt = performance.now();
    // R-Net, O-Net and the embedder each run once over the faces of all the batch's photos.
    const analyses = toAnalyze.length ? await this.analyzer.analyzeMany(toAnalyze.map((item) => item.bytes)) : [];
    const analyzeMs = performance.now() - startedAt;
    for (const [position, { index, photo }] of toAnalyze.entries()) {
      const analysis = analyses[position];
      if (analysis instanceof Error) {
        results[index] = { status: analysis instanceof ImageDecodeError ? 'dead' : 'retry', error: analysis };
        continue;
      }
      try {
        const stored = metrics.stageSeconds.startTimer({ stage: 'store' });
        await this.store(photo, analysis, jobs[index].attempt);
        stored();
        results[index] = DONE;
      } catch (error) {
        results[index] = failure(error);
      }
    }
    if (toAnalyze.length > 0) {
      this.logger.log(`analyzed ${toAnalyze.length} photo(s) in ${Math.round(analyzeMs)} ms`);
      metrics.stageSeconds.observe({ stage: 'analyze' }, analyzeMs / 1000);
      metrics.batchPhotos.observe(toAnalyze.length);
    }
    return results;
  }

  /** Records a photo given up on, so the user sees why, and keeps a dead letter. */
  async giveUp(job: IngestJob, error: unknown): Promise<void> {
    const reason = errorMessage(error);
    await withTransaction(this.database.pool, async (client) => {
      const { photos, jobs } = this.repositories.forOwner(client, job.ownerId);
      await photos.markFailed(job.photoId, reason);
      await jobs.addDeadLetter({ photoId: job.photoId, attempts: job.attempt, reason });
    });
    metrics.photosFailed.inc();
    this.logger.error({ photoId: job.photoId, msg: `photo ${job.photoId} failed after ${job.attempt} attempt(s): ${reason}` });
  }

  /** Loads what a job needs, or returns undefined when there is nothing to do. */
  private async prepare(job: IngestJob): Promise<{ photo: Photo; bytes: Buffer } | undefined> {
    const checked = metrics.stageSeconds.startTimer({ stage: 'check' });
    const photo = await this.photoToProcess(job).finally(checked);
    if (!photo) return undefined;
    const loaded = metrics.stageSeconds.startTimer({ stage: 'load' });
    return { photo, bytes: await this.blobs.readBuffer(photo.sha256).finally(loaded) };
  }

  /** The job's photo, marked processing; undefined when it is gone or already done by this pipeline version. */
  private async photoToProcess(job: IngestJob): Promise<Photo | undefined> {
    const { photos } = this.repositories.forOwner(this.database.pool, job.ownerId);
    const photo = await photos.find(job.photoId);
    if (!photo) {
      this.logger.warn(`photo ${job.photoId} no longer exists; dropping its job`);
      return undefined;
    }
    if (photo.status === 'done' && photo.pipelineVersion === this.pipelineVersion) return undefined;
    if (!(await this.blobs.exists(photo.sha256))) throw new PermanentFailure('original is missing from the blob store');
    await photos.markProcessing(photo.id);
    return photo;
  }

  private async store(photo: Photo, analysis: PhotoAnalysis, attempt: number): Promise<void> {
    const faces: NewFace[] = analysis.faces.map((face) => ({
      box: { x: face.box.x1, y: face.box.y1, width: face.box.x2 - face.box.x1, height: face.box.y2 - face.box.y1 },
      landmarks: face.landmarks,
      detectionScore: face.score,
      embedding: face.embedding,
      embeddingModel: this.analyzer.embedderName,
      thumbnailJpeg: face.thumbnailJpeg,
      kind: face.kind,
      quality: face.quality,
      sharpness: face.sharpness,
      trashSimilarity: face.trashSimilarity,
    }));
    await withTransaction(this.database.pool, async (client) => {
      const owner = this.repositories.forOwner(client, photo.ownerId);
      await owner.faces.replaceForPhoto(photo.id, faces);
      await owner.photos.markDone(photo.id, {
        width: analysis.width,
        height: analysis.height,
        faceCount: faces.length,
        pipelineVersion: this.pipelineVersion,
        processedBy: this.workerId,
      });
      await owner.runs.markLibraryChanged();
    });
    const excluded = faces.filter((face) => face.kind !== 'face').length;
    metrics.photosProcessed.inc();
    for (const face of faces) metrics.facesFound.inc({ kind: face.kind });
    this.logger.log({
      photoId: photo.id,
      faces: faces.length,
      msg: `photo ${photo.id}: ${faces.length} face(s), ${excluded} blurry or trash (attempt ${attempt})`,
    });
  }
}
