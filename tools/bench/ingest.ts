/**
 * Suite "ingest": photos → faces in PostgreSQL through the worker's code path
 * (PhotoIngestService.processBatch: job checks, blob reads, decode, MTCNN, alignment, quality,
 * MobileFaceNet, thumbnails, face rows with pgvector embeddings), end to end and per stage, with
 * the peak RSS of each worker process. Variants run one after another on the same photos:
 *
 *   - 1 worker process, onnxruntime on all cores (the default deployment), at 1024 px;
 *   - 2 worker processes, one onnxruntime thread each, each taking half of the photos
 *     (a core each: one's JavaScript work overlaps the other's inference);
 *   - 1 worker at the photos' original size (DETECT_MAX_SIDE = 8192), when any photo is larger
 *     than 1024 px.
 *
 * PostgreSQL: a throwaway database on the server of BENCH_DATABASE_URL (superuser URL), else on
 * a throwaway cluster started like the tests' (test/support/postgres-cluster.ts).
 *
 *   --dataset <dir>    photos (default: the dev set)
 *   --batch <n>        WORKER_BATCH_SIZE (default 8)
 *   --pyramid <mode>   DETECT_PYRAMID (default: the configured default)
 *   --provider <p>     ORT_PROVIDER: cpu (default), cuda, auto
 *   --quick            64 photos, one variant
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { Client, escapeIdentifier } from 'pg';
import { runMigrations, openDatabase } from '@facecloud/storage';
import { startPostgresCluster, type PostgresCluster } from '../../test/support/postgres-cluster';
import type { IngestWorkerReport, IngestWorkerTask } from './ingest-worker';
import { DEFAULT_DATASET, positiveInteger, readPhotos, round, spread, suiteOptions } from './photos';
import { providerOption } from './pyramid';
import type { BenchContext, BenchOutcome, BenchSuite, BenchTable } from './suite';

/** Stages in pipeline order, as reported by the vision library and the worker. */
const STAGES: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'decode', label: 'decode (sharp, shrink-on-load)' },
  { key: 'pyramid', label: 'pyramid (resize)' },
  { key: 'pnet', label: 'P-Net' },
  { key: 'rnet', label: 'R-Net (crops + run)' },
  { key: 'onet', label: 'O-Net (crops + run)' },
  { key: 'align', label: 'align (warp 112×112)' },
  { key: 'embed', label: 'embed (MobileFaceNet, face + mirror)' },
  { key: 'thumbnail', label: 'thumbnail JPEG (overlaps embed)' },
  { key: 'quality', label: 'blur, trash, quality' },
  { key: 'db+blob', label: 'DB + blob I/O (all of processBatch but analysis)' },
  { key: 'db-write faces', label: '  of which: face rows with vectors' },
];

interface Variant {
  name: string;
  workers: number;
  settings: Record<string, string>;
}

interface VariantResult {
  variant: Variant;
  photos: number;
  faces: number;
  failed: number;
  wallMs: number;
  photosPerSecond: number;
  facesPerSecond: number;
  peakRssMiB: number[];
  stageMs: Record<string, number>;
  executionProvider: string;
}

export const ingestSuite: BenchSuite = {
  name: 'ingest',
  description: 'photos → faces in PostgreSQL through the worker code path: end to end, per stage, peak RSS',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const values = suiteOptions(context.argv, { dataset: 'string', batch: 'string', pyramid: 'string', provider: 'string' });
    const dataset = String(values.dataset ?? DEFAULT_DATASET);
    const all = await readPhotos(dataset);
    const chosen = spread(all.map((_, index) => index), context.quick ? 64 : Infinity);
    const largestSide = await largestPhotoSide(chosen.map((index) => all[index].bytes));
    const common: Record<string, string> = {
      WORKER_BATCH_SIZE: String(positiveInteger(values.batch ?? 8, '--batch')),
      ORT_PROVIDER: providerOption(values.provider),
      LOG_LEVEL: 'error',
      ...(values.pyramid ? { DETECT_PYRAMID: String(values.pyramid) } : {}),
    };
    const variants: Variant[] = [{ name: '1 worker, 1024 px', workers: 1, settings: { ...common, DETECT_MAX_SIDE: '1024' } }];
    if (!context.quick) {
      variants.push({ name: '2 workers × 1 thread, 1024 px', workers: 2, settings: { ...common, DETECT_MAX_SIDE: '1024', ORT_INTRA_OP_THREADS: '1' } });
      if (largestSide > 1024) {
        variants.push({ name: '1 worker, original size', workers: 1, settings: { ...common, DETECT_MAX_SIDE: '8192' } });
      }
    }

    const server = await postgresServer(context);
    try {
      const results: VariantResult[] = [];
      for (const variant of variants) {
        context.progress(`${variant.name}: ${chosen.length} photos`);
        results.push(await runVariant(server.url, dataset, chosen, variant));
      }
      return outcome(results, chosen.length, largestSide, dataset);
    } finally {
      await server.stop();
    }
  },
};

/** Creates a database with the schema, runs the variant's workers on it, drops it. */
async function runVariant(serverUrl: string, dataset: string, photoIndexes: number[], variant: Variant): Promise<VariantResult> {
  const name = `bench_ingest_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    const database = await openDatabase({ url: url.toString(), embeddedDir: '', poolMax: 1 });
    await runMigrations(database.pool).finally(() => database.close());
    const shares = Array.from({ length: variant.workers }, (_, worker) => photoIndexes.filter((_, index) => index % variant.workers === worker));
    const reports = await runWorkers(
      shares.map((share, worker) => ({ databaseUrl: url.toString(), dataset, photoIndexes: share, ownerId: `bench-${worker}`, settings: variant.settings })),
    );
    const wallMs = reports.wallMs;
    const photos = reports.reports.reduce((total, report) => total + report.photos, 0);
    const faces = reports.reports.reduce((total, report) => total + report.faces, 0);
    const stageMs: Record<string, number> = {};
    for (const report of reports.reports) {
      for (const [stage, ms] of Object.entries(report.stageMs)) stageMs[stage] = (stageMs[stage] ?? 0) + ms;
    }
    return {
      variant,
      photos,
      faces,
      failed: reports.reports.reduce((total, report) => total + report.failed, 0),
      wallMs,
      photosPerSecond: (photos / wallMs) * 1000,
      facesPerSecond: (faces / wallMs) * 1000,
      peakRssMiB: reports.reports.map((report) => report.peakRssMiB),
      stageMs,
      executionProvider: reports.reports[0].executionProvider,
    };
  } finally {
    await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`));
  }
}

/** Starts one child per task, lets them all go at once when every one is ready; wall time from go to the last report. */
async function runWorkers(tasks: IngestWorkerTask[]): Promise<{ wallMs: number; reports: IngestWorkerReport[] }> {
  const children = tasks.map((task) => {
    const child = fork(join(__dirname, 'ingest-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: { type: string }) => message.type === 'ready' && resolve());
      child.on('exit', (code) => reject(new Error(`ingest worker exited with ${code} before it was ready`)));
    });
    const report = new Promise<IngestWorkerReport>((resolve, reject) => {
      child.on('message', (message: { type: string; report?: IngestWorkerReport; error?: string }) => {
        if (message.type === 'report') resolve(message.report as IngestWorkerReport);
        if (message.type === 'error') reject(new Error(`ingest worker failed: ${message.error}`));
      });
      child.on('exit', (code) => reject(new Error(`ingest worker exited with ${code}`)));
    });
    child.send({ type: 'task', task });
    return { child, ready, report };
  });
  try {
    await Promise.all(children.map(({ ready }) => ready));
    const started = performance.now();
    for (const { child } of children) child.send({ type: 'go' });
    const reports = await Promise.all(children.map(({ report }) => report));
    return { wallMs: performance.now() - started, reports };
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill();
  }
}

async function postgresServer(context: BenchContext): Promise<{ url: string; stop(): Promise<void> }> {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { url: external, stop: async () => undefined };
  context.progress('starting a throwaway PostgreSQL cluster (set BENCH_DATABASE_URL to use a running server)');
  const cluster: PostgresCluster = await startPostgresCluster();
  return { url: cluster.url, stop: () => cluster.stop() };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function largestPhotoSide(photos: readonly Buffer[]): Promise<number> {
  let largest = 0;
  for (const photo of photos) {
    const { width = 0, height = 0 } = await sharp(photo).metadata();
    largest = Math.max(largest, width, height);
  }
  return largest;
}

function outcome(results: readonly VariantResult[], photos: number, largestSide: number, dataset: string): BenchOutcome {
  const baseline = results[0];
  const endToEnd: BenchTable = {
    title: `Ingest end to end (${photos} photos of ${dataset}, ${baseline.executionProvider.toUpperCase()})`,
    rows: [
      ['variant', 'photos', 'faces', 'failed', 'seconds', 'photos/s', 'faces/s', 'vs first', 'peak RSS MiB per worker'],
      ...results.map((result) => [
        result.variant.name,
        String(result.photos),
        String(result.faces),
        String(result.failed),
        (result.wallMs / 1000).toFixed(1),
        result.photosPerSecond.toFixed(1),
        result.facesPerSecond.toFixed(1),
        `${(result.photosPerSecond / baseline.photosPerSecond).toFixed(2)}×`,
        result.peakRssMiB.map((rss) => rss.toFixed(0)).join(' + '),
      ]),
    ],
    notes: [
      'wall time from "go" (photos stored, models loaded and warmed up) until the last worker committed its last photo',
      `faces per photo ${(baseline.faces / Math.max(1, baseline.photos)).toFixed(2)}; largest photo side ${largestSide} px` +
        (largestSide <= 1024 ? ' (so "original size" equals 1024 px here and is not run separately)' : ''),
    ],
  };
  const stages: BenchTable = {
    title: `Ingest per stage, "${baseline.variant.name}" (wall time of each stage, summed over the micro-batches)`,
    rows: [
      ['stage', 'total ms', 'ms/photo', 'ms/face', 'share of wall'],
      ...STAGES.filter((stage) => baseline.stageMs[stage.key] !== undefined).map((stage) => {
        const ms = baseline.stageMs[stage.key];
        return [
          stage.label,
          ms.toFixed(0),
          (ms / baseline.photos).toFixed(2),
          (ms / Math.max(1, baseline.faces)).toFixed(2),
          `${((100 * ms) / baseline.wallMs).toFixed(1)} %`,
        ];
      }),
      ['end to end (wall)', baseline.wallMs.toFixed(0), (baseline.wallMs / baseline.photos).toFixed(2), (baseline.wallMs / Math.max(1, baseline.faces)).toFixed(2), '100 %'],
    ],
    notes: ['thumbnail encoding runs on libvips threads during the embedder run, so shares add up to more than 100 %'],
  };
  return {
    tables: [endToEnd, stages],
    json: {
      photos,
      largestSide,
      dataset,
      variants: results.map((result) => ({
        name: result.variant.name,
        workers: result.variant.workers,
        settings: result.variant.settings,
        photos: result.photos,
        faces: result.faces,
        failed: result.failed,
        wallMs: round(result.wallMs, 0),
        photosPerSecond: round(result.photosPerSecond, 2),
        facesPerSecond: round(result.facesPerSecond, 2),
        peakRssMiB: result.peakRssMiB.map((rss) => round(rss, 1)),
        stageMs: Object.fromEntries(Object.entries(result.stageMs).map(([stage, ms]) => [stage, round(ms, 1)])),
        executionProvider: result.executionProvider,
      })),
    },
  };
}
