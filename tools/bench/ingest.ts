/**
 * Suite "ingest": photos → faces in PostgreSQL through the worker's code path
 * (PhotoIngestService.processBatch: job checks, blob reads, decode, MTCNN, alignment, quality,
 * MobileFaceNet, thumbnails, face rows with pgvector embeddings), end to end and per stage, with
 * the peak RSS of each worker process. Variants run one after another on the same photos:
 *
 *   - 1 worker process as deployed: analyzer threads, one per core (ANALYZER_THREADS=0), at 1024 px;
 *   - 1 worker process with its analyzer on its main thread and onnxruntime on all cores
 *     (ANALYZER_THREADS=1), the setting before analyzer threads;
 *   - 2 such worker processes with one onnxruntime thread each, each taking half of the photos;
 *   - 1 worker at the photos' original size (DETECT_MAX_SIDE = 8192), when any photo is larger
 *     than 1024 px.
 *
 * Photo sets: every photo of the dataset; and, when the dataset has groups/ and people/ folders
 * (the dev set), its group photos plus as many people photos: about 3 faces per photo, the mix
 * the ingest target is set for. A set of fewer than 100 photos runs in several passes (each on a
 * fresh database) so that its figures rest on at least 100 photos. Each worker analyses its
 * photos once, untimed, before "go", so the timings are those of a warmed-up worker.
 *
 * PostgreSQL: a throwaway database on the server of BENCH_DATABASE_URL (superuser URL), else on
 * a throwaway cluster started like the tests' (tools/support/postgres-cluster.ts).
 *
 *   --dataset <dir>    photos (default: the dev set)
 *   --batch <n>        WORKER_BATCH_SIZE (default 8)
 *   --pyramid <mode>   DETECT_PYRAMID (default: the configured default)
 *   --provider <p>     ORT_PROVIDER: cpu (default), cuda, auto
 *   --quick            64 photos, one variant
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { runMigrations, openDatabase } from '@facecloud/storage';
import { createScratchDatabase } from '../support/scratch-database';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import type { IngestWorkerReport, IngestWorkerTask } from './ingest-worker';
import { DEFAULT_DATASET, positiveInteger, readPhotos, round, spread, suiteOptions, type PhotoFile } from './photos';
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
  { key: 'thumbnail', label: 'thumbnail JPEG' },
  { key: 'quality', label: 'blur, trash, quality' },
  { key: 'db+blob', label: 'DB + blob I/O (all of processBatch but analysis)' },
  { key: 'db-write faces', label: '  of which: face rows with vectors' },
];

interface Variant {
  name: string;
  workers: number;
  settings: Record<string, string>;
}

/** Photos the variants run on: indexes into the dataset's sorted photo list. */
interface PhotoSet {
  label: string;
  indexes: number[];
}

/** A photo set smaller than this runs in several passes. */
const MIN_PHOTOS_PER_VARIANT = 100;

interface VariantResult {
  variant: Variant;
  passes: number;
  photos: number;
  faces: number;
  failed: number;
  wallMs: number;
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
    const sets = photoSets(all, context.quick);
    const largestSide = await largestPhotoSide(sets[0].indexes.map((index) => all[index].bytes));
    const common: Record<string, string> = {
      WORKER_BATCH_SIZE: String(positiveInteger(values.batch ?? 8, '--batch')),
      ORT_PROVIDER: providerOption(values.provider),
      LOG_LEVEL: 'error',
      ...(values.pyramid ? { DETECT_PYRAMID: String(values.pyramid) } : {}),
    };
    const variants: Variant[] = [{ name: '1 worker, analyzer threads (default)', workers: 1, settings: { ...common, DETECT_MAX_SIDE: '1024' } }];
    if (!context.quick) {
      variants.push(
        { name: '1 worker, analyzer on its main thread', workers: 1, settings: { ...common, DETECT_MAX_SIDE: '1024', ANALYZER_THREADS: '1' } },
        {
          name: '2 workers, each analyzer on its main thread, 1 onnxruntime thread',
          workers: 2,
          settings: { ...common, DETECT_MAX_SIDE: '1024', ANALYZER_THREADS: '1', ORT_INTRA_OP_THREADS: '1' },
        },
      );
      if (largestSide > 1024) {
        variants.push({ name: '1 worker, original size', workers: 1, settings: { ...common, DETECT_MAX_SIDE: '8192' } });
      }
    }

    const server = await postgresServer(context);
    try {
      const results: SetResults[] = [];
      for (const set of sets) {
        const passes = Math.max(1, Math.ceil(MIN_PHOTOS_PER_VARIANT / set.indexes.length));
        const variantResults: VariantResult[] = [];
        for (const variant of variants) {
          context.progress(`${set.label}, ${variant.name}: ${set.indexes.length} photos × ${passes} pass(es)`);
          const runs: VariantResult[] = [];
          for (let pass = 0; pass < passes; pass++) runs.push(await runVariant(server.url, dataset, set.indexes, variant));
          variantResults.push(combinePasses(runs));
        }
        results.push({ set, results: variantResults });
      }
      return outcome(results, largestSide, dataset);
    } finally {
      await server.stop();
    }
  },
};

interface SetResults {
  set: PhotoSet;
  results: VariantResult[];
}

/** Every photo; and, for a dataset with groups/ and people/ (the dev set), ≈ 3 faces per photo. */
function photoSets(all: readonly PhotoFile[], quick: boolean): PhotoSet[] {
  const indexesUnder = (folder: string) => all.flatMap((photo, index) => (photo.name.startsWith(`${folder}/`) ? [index] : []));
  const sets: PhotoSet[] = [{ label: 'all photos', indexes: spread(all.map((_, index) => index), quick ? 64 : Infinity) }];
  const groups = indexesUnder('groups');
  const people = indexesUnder('people');
  if (!quick && groups.length > 0 && people.length >= groups.length) {
    // Group photos hold about 5 faces and people photos about 1: as many of each make about 3.
    sets.push({ label: 'groups/ + as many people/', indexes: [...groups, ...spread(people, groups.length)] });
  }
  return sets;
}

/** Sums the passes of one variant: photos, faces and times add up; peak RSS is the highest seen per worker. */
function combinePasses(runs: readonly VariantResult[]): VariantResult {
  const total = (pick: (run: VariantResult) => number) => runs.reduce((sum, run) => sum + pick(run), 0);
  const wallMs = total((run) => run.wallMs);
  return {
    ...runs[0],
    passes: runs.length,
    photos: total((run) => run.photos),
    faces: total((run) => run.faces),
    failed: total((run) => run.failed),
    wallMs,
    peakRssMiB: runs[0].peakRssMiB.map((_, worker) => Math.max(...runs.map((run) => run.peakRssMiB[worker]))),
    stageMs: sumStages(runs.map((run) => run.stageMs)),
  };
}

/** Milliseconds per stage, added up over workers or passes. */
function sumStages(parts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const part of parts) for (const [stage, ms] of Object.entries(part)) sum[stage] = (sum[stage] ?? 0) + ms;
  return sum;
}

/** Creates a database with the schema, runs the variant's workers on it, drops it. */
async function runVariant(serverUrl: string, dataset: string, photoIndexes: number[], variant: Variant): Promise<VariantResult> {
  const scratch = await createScratchDatabase('bench_ingest', serverUrl);
  try {
    const database = await openDatabase({ url: scratch.url, embeddedDir: '', poolMax: 1 });
    await runMigrations(database.pool).finally(() => database.close());
    const shares = Array.from({ length: variant.workers }, (_, worker) => photoIndexes.filter((_, index) => index % variant.workers === worker));
    const reports = await runWorkers(
      shares.map((share, worker) => ({ databaseUrl: scratch.url, dataset, photoIndexes: share, ownerId: `bench-${worker}`, settings: variant.settings })),
    );
    const wallMs = reports.wallMs;
    const photos = reports.reports.reduce((total, report) => total + report.photos, 0);
    const faces = reports.reports.reduce((total, report) => total + report.faces, 0);
    return {
      variant,
      passes: 1,
      photos,
      faces,
      failed: reports.reports.reduce((total, report) => total + report.failed, 0),
      wallMs,
      peakRssMiB: reports.reports.map((report) => report.peakRssMiB),
      stageMs: sumStages(reports.reports.map((report) => report.stageMs)),
      executionProvider: reports.reports[0].executionProvider,
    };
  } finally {
    await scratch.drop();
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

/** A PostgreSQL server to create scratch databases on: BENCH_DATABASE_URL (superuser URL), else a throwaway cluster. */
export async function postgresServer(context: BenchContext): Promise<{ url: string; stop(): Promise<void> }> {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { url: external, stop: async () => undefined };
  context.progress('starting a throwaway PostgreSQL cluster (set BENCH_DATABASE_URL to use a running server)');
  const cluster: PostgresCluster = await startPostgresCluster();
  return { url: cluster.url, stop: () => cluster.stop() };
}

async function largestPhotoSide(photos: readonly Buffer[]): Promise<number> {
  let largest = 0;
  for (const photo of photos) {
    const { width = 0, height = 0 } = await sharp(photo).metadata();
    largest = Math.max(largest, width, height);
  }
  return largest;
}

/** Photos or faces per second of wall time. */
function perSecond(count: number, { wallMs }: VariantResult): number {
  return (count / wallMs) * 1000;
}

function outcome(sets: readonly SetResults[], largestSide: number, dataset: string): BenchOutcome {
  const provider = sets[0].results[0].executionProvider.toUpperCase();
  const endToEnd: BenchTable = {
    title: `Ingest end to end (${dataset}, ${provider})`,
    rows: [
      ['photos', 'variant', 'photos', 'faces', 'faces/photo', 'failed', 'seconds', 'photos/s', 'faces/s', 'vs first', 'peak RSS MiB per worker'],
      ...sets.flatMap(({ set, results }) =>
        results.map((result) => [
          set.label,
          result.variant.name,
          result.passes > 1 ? `${set.indexes.length} × ${result.passes}` : String(result.photos),
          String(result.faces),
          (result.faces / Math.max(1, result.photos)).toFixed(2),
          String(result.failed),
          (result.wallMs / 1000).toFixed(1),
          perSecond(result.photos, result).toFixed(1),
          perSecond(result.faces, result).toFixed(1),
          `${(perSecond(result.photos, result) / perSecond(results[0].photos, results[0])).toFixed(2)}×`,
          result.peakRssMiB.map((rss) => rss.toFixed(0)).join(' + '),
        ]),
      ),
    ],
    notes: [
      'wall time from "go" (photos stored, models loaded, every worker warmed up on its photos) until the last worker committed its last photo',
      `"n × p": a set of n photos run p times, each on a fresh database; largest photo side ${largestSide} px` +
        (largestSide <= 1024 ? ' (so "original size" equals 1024 px here and is not run separately)' : ''),
    ],
  };
  const stageTables = sets.map(({ set, results }): BenchTable => {
    // Stages run one after another only with the analyzer on the main thread; on analyzer
    // threads they overlap, and their times add up to more than the wall time.
    const timed = results.find((result) => result.variant.workers === 1 && result.variant.settings.ANALYZER_THREADS === '1') ?? results[0];
    return {
      title: `Ingest per stage, ${set.label}, "${timed.variant.name}" (wall time of each stage, summed over the micro-batches)`,
      rows: [
        ['stage', 'total ms', 'ms/photo', 'ms/face', 'share of wall'],
        ...STAGES.filter((stage) => timed.stageMs[stage.key] !== undefined).map((stage) => {
          const ms = timed.stageMs[stage.key];
          return [
            stage.label,
            ms.toFixed(0),
            (ms / timed.photos).toFixed(2),
            (ms / Math.max(1, timed.faces)).toFixed(2),
            `${((100 * ms) / timed.wallMs).toFixed(1)} %`,
          ];
        }),
        ['end to end (wall)', timed.wallMs.toFixed(0), (timed.wallMs / timed.photos).toFixed(2), (timed.wallMs / Math.max(1, timed.faces)).toFixed(2), '100 %'],
      ],
    };
  });
  return {
    tables: [endToEnd, ...stageTables],
    json: {
      largestSide,
      dataset,
      sets: sets.map(({ set, results }) => ({
        label: set.label,
        photos: set.indexes.length,
        variants: results.map((result) => ({
          name: result.variant.name,
          workers: result.variant.workers,
          settings: result.variant.settings,
          passes: result.passes,
          photos: result.photos,
          faces: result.faces,
          failed: result.failed,
          wallMs: round(result.wallMs, 0),
          photosPerSecond: round(perSecond(result.photos, result), 2),
          facesPerSecond: round(perSecond(result.faces, result), 2),
          peakRssMiB: result.peakRssMiB.map((rss) => round(rss, 1)),
          stageMs: Object.fromEntries(Object.entries(result.stageMs).map(([stage, ms]) => [stage, round(ms, 1)])),
          executionProvider: result.executionProvider,
        })),
      })),
    },
  };
}
