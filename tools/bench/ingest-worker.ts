/**
 * One ingest worker of the "ingest" suite, as a child process so its memory is its own: stores
 * its share of the photos (blob + photo row, untimed), then, on the parent's "go", processes
 * them through PhotoIngestService.processBatch, the worker's own code path (PostgreSQL reads,
 * analysis, face rows with vectors, photo marked done), a micro-batch at a time. Reports wall
 * time, time per stage and peak RSS to the parent over IPC.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@facecloud/config';
import { createFaceAnalyzer, PhotoIngestService } from '@facecloud/ingest';
import { LocalBlobStore, openDatabase, Repositories, type Queryable } from '@facecloud/storage';
import { StageTotals, type PhotoAnalyzer } from '@facecloud/vision';
import { chunk, readPhotos } from './photos';
import { peakRssMiB } from './stats';
import { serveBenchTask } from './child-task';

/** What the parent asks of one worker (first message). */
export interface IngestWorkerTask {
  databaseUrl: string;
  dataset: string;
  /** This worker's photos: indexes into the sorted photo list. */
  photoIndexes: number[];
  ownerId: string;
  /** Environment-style settings (DETECT_MAX_SIDE, WORKER_BATCH_SIZE, ORT_INTRA_OP_THREADS, ...). */
  settings: Record<string, string>;
}

/** What the worker reports back (last message). */
export interface IngestWorkerReport {
  photos: number;
  faces: number;
  failed: number;
  wallMs: number;
  /** Wall time per stage, summed over the micro-batches; `analyze`, `db-read`, `db-write` included. */
  stageMs: Record<string, number>;
  peakRssMiB: number;
  executionProvider: string;
}

async function main(task: IngestWorkerTask, go: Promise<void>): Promise<IngestWorkerReport> {
  Logger.overrideLogger(['error']);
  const config = loadConfig({ ...process.env, ...task.settings, DATABASE_URL: task.databaseUrl });
  const database = await openDatabase({ url: task.databaseUrl, embeddedDir: '', poolMax: 4 });
  const blobDir = await mkdtemp(join(tmpdir(), 'facecloud-bench-blobs-'));
  const stages = new StageTotals();
  // The worker's own factory, so the bench runs what ANALYZER_THREADS and the other settings select.
  const analyzer = await createFaceAnalyzer(config, stages);
  try {
    const blobs = new LocalBlobStore(blobDir);
    const photos = new Repositories().forOwner(database.pool, task.ownerId).photos;
    const all = await readPhotos(task.dataset);
    const mine = task.photoIndexes.map((index) => all[index]);
    const jobs = [];
    for (const [index, photo] of mine.entries()) {
      const temporary = join(blobDir, `upload-${index}`);
      await writeFile(temporary, photo.bytes);
      const { sha256, byteSize } = await blobs.putFile(temporary);
      const { photo: row } = await photos.insertOrFind({
        sha256,
        byteSize,
        contentType: 'image/jpeg',
        originalName: photo.name,
      });
      jobs.push({ photoId: row.id, ownerId: task.ownerId, attempt: 1 });
    }
    // Warm-up outside the timed run, over all of this worker's photos: onnxruntime grows its
    // memory arenas the first time it meets each batch shape, which a long-running worker has
    // long done. Warming up on one batch left the later batches' first runs in the timing.
    for (const batch of chunk(mine, config.WORKER_BATCH_SIZE)) await analyzer.analyzeMany(batch.map((photo) => photo.bytes));
    stages.milliseconds.clear();

    const service = new PhotoIngestService(
      database,
      blobs,
      timedAnalyzer(analyzer, stages),
      config,
      new TimedRepositories(stages),
    );
    process.send?.({ type: 'ready' });
    await go;
    const started = performance.now();
    let failed = 0;
    for (const batch of chunk(jobs, config.WORKER_BATCH_SIZE)) {
      const results = await service.processBatch(batch);
      failed += results.filter((result) => result.status !== 'done').length;
    }
    const wallMs = performance.now() - started;
    const faces = await database.pool.query<{ count: string }>('SELECT count(*) FROM faces WHERE owner_id = $1', [task.ownerId]);
    const stageMs = Object.fromEntries(stages.milliseconds);
    // Everything of processBatch that is not analysis: job checks, blob reads, transactions.
    stageMs['db+blob'] = wallMs - (stageMs.analyze ?? 0);
    return {
      photos: jobs.length,
      faces: Number(faces.rows[0].count),
      failed,
      wallMs,
      stageMs,
      peakRssMiB: peakRssMiB(),
      executionProvider: analyzer.executionProvider,
    };
  } finally {
    await analyzer.close();
    await database.close();
    await rm(blobDir, { recursive: true, force: true });
  }
}

/** The analyzer, with the wall time of analyzeMany (the service's one call into it) recorded as "analyze". */
function timedAnalyzer(analyzer: PhotoAnalyzer, stages: StageTotals): PhotoAnalyzer {
  const timed = Object.create(analyzer) as PhotoAnalyzer;
  timed.analyzeMany = async (photos) => {
    const started = performance.now();
    try {
      return await analyzer.analyzeMany(photos);
    } finally {
      stages.record('analyze', performance.now() - started);
    }
  };
  return timed;
}

/** The repositories, with the time of writing a photo's faces (rows with vectors) recorded as "db-write faces". */
class TimedRepositories extends Repositories {
  constructor(private readonly stages: StageTotals) {
    super();
  }

  override forOwner(db: Queryable, ownerId: string) {
    const repositories = super.forOwner(db, ownerId);
    const { faces } = repositories;
    const replaceForPhoto = faces.replaceForPhoto.bind(faces);
    faces.replaceForPhoto = async (...args) => {
      const started = performance.now();
      try {
        return await replaceForPhoto(...args);
      } finally {
        this.stages.record('db-write faces', performance.now() - started);
      }
    };
    return repositories;
  }
}

if (require.main === module) serveBenchTask(main);
