/**
 * Clustering benchmark: time and peak memory of average linkage (the product's grouping, on its
 * scalable path) and of the scalable HDBSCAN (the method before it) on synthetic face
 * libraries (libs/clustering/src/synthetic-faces.ts: many identities of very different size,
 * dev-set-like cosine spread) at 1k, 10k and 100k faces (1M with --full), the exact path and
 * hdbscan-ts at the sizes they survive, and the fitted scaling exponent (time ∝ n^b). Each
 * measurement runs in its own child process, so its peak RSS is its own.
 *
 *   npm run bench:clustering [-- --full] [--sizes 1000,10000] [--threads 2]
 *   (also as the suite "clustering" of npm run bench)
 */
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { HDBSCAN } from 'hdbscan-ts';
import { Client } from 'pg';
import { configSchema, findRepoRoot } from '@facecloud/config';
import { Repositories, openDatabase, runMigrations } from '@facecloud/storage';
import { clusteringServices } from '../../libs/clustering/src/clustering.module';
import { clusteringParamsFor } from '../../libs/clustering/src/clustering-params';
import { hdbscan } from '../../libs/clustering/src/hdbscan';
import { linkPoints } from '../../libs/clustering/src/group-faces';
import { hdbscanScalable } from '../../libs/clustering/src/hdbscan-scalable';
import { linkageThresholdFor } from '../../libs/clustering/src/linkage-threshold';
import { OnnxSimilarityEngine } from '../../libs/clustering/src/knn/similarity-engine';
import { adjustedRandIndex, noiseAsSingletons } from '../../libs/clustering/src/partition-metrics';
import { syntheticFaces } from '../../libs/clustering/src/synthetic-faces';
import { startPostgresCluster } from '../support/postgres-cluster';
import { insertFaceRows } from '../support/synthetic-library';
import { formatTable, peakRssMiB } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

/**
 * `service`: a whole clustering run as users get it (ClusteringRunService on PostgreSQL:
 * read the faces, HDBSCAN, resolve persons, write them), on the same synthetic library
 * inserted beforehand; its time is that of the first run (every person new), and the note
 * gives a second run over the unchanged library.
 */
type Algorithm = 'linkage' | 'scalable' | 'exact' | 'hdbscan-ts' | 'service';

interface Measurement {
  algorithm: Algorithm;
  faces: number;
  identities: number;
  seconds: number;
  peakRssMiB: number;
  clusters: number;
  noise: number;
  ariVsTruth: number;
  params: { minClusterSize: number; minSamples: number };
  /** Average linkage: the similarity threshold for the library's size. */
  threshold?: number;
  stages?: Record<string, number>;
}

/** What the child of a `service` measurement reports. */
interface ServiceRun {
  seconds: number;
  rerunSeconds: number;
  readSeconds: number;
  peakRssMiB: number;
}

/** Largest sizes the O(n²) implementations are run at (hdbscan-ts holds an n×n matrix of JS arrays). */
const LIMITS: Record<Algorithm, number> = { linkage: Infinity, scalable: Infinity, exact: 10_000, 'hdbscan-ts': 1_000, service: 100_000 };

export const clusteringSuite: BenchSuite = {
  name: 'clustering',
  description: 'average linkage (the product) vs scalable HDBSCAN vs exact vs hdbscan-ts on synthetic face libraries: time, peak RSS, scaling exponent',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const { values } = parseArgs({
      args: context.argv,
      options: {
        full: { type: 'boolean', default: false },
        sizes: { type: 'string' },
        threads: { type: 'string', default: '2' },
        'no-service': { type: 'boolean', default: false },
      },
      strict: false,
    });
    const sizes = typeof values.sizes === 'string'
      ? values.sizes.split(',').map(Number)
      : context.quick ? [1_000, 10_000] : values.full ? [1_000, 10_000, 100_000, 1_000_000] : [1_000, 10_000, 100_000];
    const threads = Number(values.threads);
    const measurements: Measurement[] = [];
    for (const faces of sizes) {
      for (const algorithm of ['linkage', 'scalable', 'exact', 'hdbscan-ts'] as const) {
        if (faces > LIMITS[algorithm]) continue;
        context.progress(`clustering: ${algorithm} at ${faces} faces`);
        measurements.push(await measureInChild(algorithm, faces, threads));
      }
      if (faces <= LIMITS.service && !values['no-service']) {
        context.progress(`clustering: a clustering run on PostgreSQL at ${faces} faces`);
        measurements.push(await measureService(faces, context));
      }
    }
    const scalable = measurements.filter((m) => m.algorithm === 'linkage');
    const large = scalable.filter((m) => m.faces >= 10_000);
    const exponent = fitExponent(large.length >= 2 ? large : scalable);
    const rows = [
      ['algorithm', 'faces', 'identities', 'seconds', 'peak RSS MiB', 'clusters', 'noise', 'ARI vs truth', 'parameters'],
      ...measurements.map((m) => [
        ALGORITHM_LABELS[m.algorithm],
        String(m.faces),
        String(m.identities),
        m.seconds.toFixed(2),
        m.peakRssMiB.toFixed(0),
        String(m.clusters),
        String(m.noise),
        m.ariVsTruth.toFixed(4),
        m.threshold !== undefined ? `threshold ${m.threshold}` : `minClusterSize/minSamples ${m.params.minClusterSize}/${m.params.minSamples}`,
      ]),
    ];
    const notes = [
      `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), onnxruntime threads ${threads}; each row in its own process`,
      `average linkage time ∝ n^${exponent.toFixed(2)} (least squares on log-log, sizes ≥ 10k where there are two)`,
      'stages (s): ' + scalable.map((m) => `${m.faces}: ${Object.entries(m.stages ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}`).join(' | '),
      'ARI vs truth: noise faces count as singletons',
      ...measurements
        .filter((m) => m.algorithm === 'service')
        .map(
          (m) =>
            `service at ${m.faces}: a clustering run of ClusteringRunService on PostgreSQL with its defaults (average linkage) (faces read ${((m.stages?.read ?? 0) / 1000).toFixed(1)} s of it, ` +
            `clusters become persons, rows written); a second run over the unchanged library ${((m.stages?.rerun ?? 0) / 1000).toFixed(1)} s`,
        ),
    ];
    return { tables: [{ title: 'Clustering: average linkage (the product) and HDBSCAN', rows, notes }], json: { threads, exponent, measurements } };
  },
};

const ALGORITHM_LABELS: Record<Algorithm, string> = {
  linkage: 'average linkage (scalable)',
  scalable: 'HDBSCAN scalable',
  exact: 'HDBSCAN exact',
  'hdbscan-ts': 'hdbscan-ts',
  service: 'clustering run (service)',
};

function measureInChild(algorithm: Algorithm, faces: number, threads: number): Promise<Measurement> {
  return runInChild<Measurement>(['--child', algorithm, String(faces), String(threads)], `${algorithm} at ${faces} faces`);
}

/** Runs this file with `args` in a child process and returns the JSON of its last stdout line. */
function runInChild<T>(args: string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code}`));
      else resolve(JSON.parse(output.trim().split('\n').pop() ?? '{}') as T);
    });
  });
}

/**
 * A clustering run as the clusterer does it: this process starts PostgreSQL and inserts the
 * synthetic library; a child process (so the peak RSS is the run's own) runs it twice; the
 * persons written are then compared with the identities.
 */
async function measureService(faces: number, context: BenchContext): Promise<Measurement> {
  const data = syntheticFaces({ faces, seed: 1 });
  const cluster = await startPostgresCluster();
  try {
    const owner = 'bench-clustering';
    const database = await openDatabase({ url: cluster.url, embeddedDir: '', poolMax: 2 });
    let faceIds: string[];
    try {
      await runMigrations(database.pool);
      // A run reads the embeddings and never their HNSW index (only incremental assignment
      // searches it); without it the bulk insert takes seconds instead of minutes.
      await database.pool.query('DROP INDEX face_embeddings_hnsw_idx');
      context.progress(`  inserting ${faces} synthetic faces`);
      faceIds = await insertFaceRows(
        database.pool,
        owner,
        Array.from({ length: faces }, (_, i) => ({
          embedding: data.embeddings.subarray(i * data.dimension, (i + 1) * data.dimension),
          personId: null,
          score: 0.95,
        })),
      );
      await database.pool.query('VACUUM ANALYZE faces');
    } finally {
      await database.close();
    }
    const run = await runInChild<ServiceRun>(['--service-child', cluster.url, owner], `a clustering run at ${faces} faces`);
    const client = new Client({ connectionString: cluster.url });
    await client.connect();
    const { rows } = await client.query<{ id: string; person_id: string | null }>('SELECT id, person_id FROM faces WHERE owner_id = $1', [owner]);
    await client.end();
    const personOf = new Map(rows.map((row) => [row.id, row.person_id]));
    const personIndex = new Map<string, number>();
    const labels = faceIds.map((id) => {
      const person = personOf.get(id);
      if (!person) return -1;
      if (!personIndex.has(person)) personIndex.set(person, personIndex.size);
      return personIndex.get(person)!;
    });
    const params = clusteringParamsFor(faces);
    return {
      algorithm: 'service',
      faces,
      identities: data.identities,
      seconds: run.seconds,
      peakRssMiB: run.peakRssMiB,
      clusters: personIndex.size,
      noise: labels.filter((label) => label < 0).length,
      ariVsTruth: adjustedRandIndex(noiseAsSingletons(labels), data.identity),
      params: { minClusterSize: params.minClusterSize, minSamples: params.minSamples },
      threshold: linkageThresholdFor(faces),
      stages: { read: run.readSeconds * 1000, rerun: run.rerunSeconds * 1000 },
    };
  } finally {
    await cluster.stop();
  }
}

async function runServiceChild(url: string, owner: string): Promise<ServiceRun> {
  const database = await openDatabase({ url, embeddedDir: '', poolMax: 2 });
  try {
    const config = configSchema.parse({ LOG_LEVEL: 'silent', CLUSTER_RUN_WAIT_SECONDS: '3600' });
    const repositories = new Repositories();
    const service = clusteringServices(database, config).queue;
    let started = performance.now();
    await repositories.forOwner(database.pool, owner).faces.listEmbeddings();
    const readSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await service.clusterOwner(owner);
    const seconds = (performance.now() - started) / 1000;
    started = performance.now();
    await service.clusterOwner(owner);
    const rerunSeconds = (performance.now() - started) / 1000;
    return { seconds, rerunSeconds, readSeconds, peakRssMiB: peakRssMiB() };
  } finally {
    await database.close();
  }
}

async function runChild(algorithm: Algorithm, faces: number, threads: number): Promise<Measurement> {
  const data = syntheticFaces({ faces, seed: 1 });
  const params = clusteringParamsFor(faces);
  const stages: Record<string, number> = {};
  const started = performance.now();
  let labels: ArrayLike<number>;
  let threshold: number | undefined;
  if (algorithm === 'linkage') {
    const engine = await OnnxSimilarityEngine.create({ threads });
    threshold = linkageThresholdFor(faces);
    // Every face on a photo of its own, as in the HDBSCAN rows (no cannot-link pairs).
    const group = Int32Array.from({ length: faces }, (_, i) => i);
    labels = await linkPoints(data.embeddings, data.dimension, group, threshold, {
      engine,
      path: 'scalable',
      index: { reorderInPlace: true },
      onStage: (name, ms) => (stages[name] = ms),
    });
  } else if (algorithm === 'scalable') {
    const engine = await OnnxSimilarityEngine.create({ threads });
    labels = (
      await hdbscanScalable(data.embeddings, data.dimension, engine, {
        ...params,
        index: { reorderInPlace: true },
        onStage: (name, ms) => (stages[name] = ms),
      })
    ).labels;
  } else {
    const rows = Array.from({ length: faces }, (_, i) => data.embeddings.subarray(i * data.dimension, (i + 1) * data.dimension));
    labels =
      algorithm === 'exact'
        ? hdbscan(rows, params).labels
        : new HDBSCAN({ minClusterSize: params.minClusterSize, minSamples: params.minSamples }).fit(rows.map((row) => Array.from(row)));
  }
  const seconds = (performance.now() - started) / 1000;
  const asSingletons = noiseAsSingletons(labels);
  return {
    algorithm,
    faces,
    identities: data.identities,
    seconds,
    peakRssMiB: peakRssMiB(),
    clusters: new Set(Array.from(labels).filter((l) => l >= 0)).size,
    noise: Array.from(labels).filter((l) => l < 0).length,
    ariVsTruth: adjustedRandIndex(asSingletons, data.identity),
    params: { minClusterSize: params.minClusterSize, minSamples: params.minSamples },
    ...(threshold !== undefined ? { threshold } : {}),
    stages,
  };
}

/** Least-squares slope of log(seconds) on log(faces). */
function fitExponent(points: readonly Measurement[]): number {
  if (points.length < 2) return NaN;
  const xs = points.map((p) => Math.log(p.faces));
  const ys = points.map((p) => Math.log(p.seconds));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const result = await runChild(argv[1] as Algorithm, Number(argv[2]), Number(argv[3]));
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  if (argv[0] === '--service-child') {
    process.stdout.write(JSON.stringify(await runServiceChild(argv[1], argv[2])) + '\n');
    return;
  }
  const outcome = await clusteringSuite.run({ argv, quick: false, progress: (message) => console.error(message) });
  for (const table of outcome.tables) {
    console.log(`\n${table.title}\n\n${formatTable(table.rows)}`);
    for (const note of table.notes ?? []) console.log(`  ${note}`);
  }
  const out = join(findRepoRoot(), 'bench-results', 'clustering.json');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(outcome.json, null, 2));
  console.log(`\nsaved ${out}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
