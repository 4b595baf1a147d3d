/**
 * Load benchmark: the real api and worker processes on PostgreSQL, driven over loopback with
 * autocannon for a bounded time.
 *
 * 1. Uploads: every request carries a distinct JPEG (the same small photo with a unique JPEG
 *    comment, so dedupe hides no work); accepted uploads per second, then the zero-loss check:
 *    every upload answered `accepted` has its photo row and is either processed or still has
 *    its job queued; the worker then drains the backlog for a bounded time.
 * 2. People listing: a library of synthetic faces grouped into long-tailed persons (inserted
 *    with SQL), `GET /people` from many concurrent clients; latency percentiles.
 *
 *   npm run bench:load -- [--duration <s>] [--connections <n>] [--faces <n>] [--persons <n>]
 *                         [--people-connections <n>] [--drain-seconds <s>] [--photo-side <px>]
 *
 * PostgreSQL: a throwaway cluster (tools/support/postgres-cluster.ts), or TEST_DATABASE_URL.
 * Also the `load` suite of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import sharp from 'sharp';
import { startService, type RunningService } from '../support/service-process';
import { asUser, provisionUsers } from '../support/api-users';
import { fixturesDir, repoRoot } from '../support/paths';
import { createScratchDatabase } from '../support/scratch-database';
import { startPostgresCluster } from '../support/postgres-cluster';
import { insertSyntheticLibrary, longTailedSizes } from '../support/synthetic-library';
import { formatTable } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite, BenchTable } from './suite';

/** The parts of autocannon's API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
  timeout?: number;
}) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS package
const autocannon = require('autocannon') as Autocannon;

interface Settings {
  durationSeconds: number;
  connections: number;
  faces: number;
  persons: number;
  peopleConnections: number;
  drainSeconds: number;
  photoSide: number;
}

function parseSettings(context: BenchContext): Settings {
  const { values } = parseArgs({
    args: context.argv,
    strict: false,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      faces: { type: 'string' },
      persons: { type: 'string' },
      'people-connections': { type: 'string' },
      'drain-seconds': { type: 'string' },
      'photo-side': { type: 'string' },
    },
  });
  const number = (name: keyof typeof values, fallback: number): number => {
    const raw = values[name];
    if (raw === undefined || typeof raw !== 'string') return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return parsed;
  };
  return {
    durationSeconds: number('duration', context.quick ? 3 : 10),
    connections: number('connections', 8),
    faces: number('faces', context.quick ? 10_000 : 100_000),
    persons: number('persons', context.quick ? 200 : 2000),
    peopleConnections: number('people-connections', 50),
    drainSeconds: number('drain-seconds', context.quick ? 30 : 120),
    photoSide: number('photo-side', 640),
  };
}

/** A copy of `jpeg` with a JPEG comment (COM segment) right after SOI: other bytes, same image. */
export function withComment(jpeg: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, 'latin1');
  const header = Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
}

function multipart(boundary: string, filename: string, bytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

const UPLOADERS = Array.from({ length: 8 }, (_, index) => `load-uploader-${index}`);
const PEOPLE_OWNER = 'load-people';

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Environment {
  databaseUrl: string;
  pool: Pool;
  api: RunningService;
  worker: RunningService;
  close(): Promise<void>;
}

/** A fresh database (throwaway cluster or TEST_DATABASE_URL) with the api and a worker on it. */
async function startEnvironment(context: BenchContext): Promise<Environment> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) {
      const cluster = await startPostgresCluster();
      cleanups.push(() => cluster.stop());
      serverUrl = cluster.url;
      context.progress(`PostgreSQL ${cluster.version} (pgvector ${cluster.pgvectorVersion}) on port ${cluster.port}`);
    }
    const scratch = await createScratchDatabase('facecloud_load', serverUrl);
    cleanups.push(() => scratch.drop());
    const databaseUrl = scratch.url;
    const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-load-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, CLUSTER_INTERVAL_SECONDS: '3600', WORKER_POLL_INTERVAL_MS: '200' };
    const api = await startService('api', env);
    cleanups.push(() => api.stop());
    const worker = await startService('worker', { ...env, MIGRATE_ON_START: 'false' });
    cleanups.push(() => worker.stop());
    const pool = new Pool({ connectionString: databaseUrl, max: 2 });
    cleanups.push(() => pool.end());
    await provisionUsers({ pool }, [...UPLOADERS, PEOPLE_OWNER]);
    return { databaseUrl, pool, api, worker, close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface UploadFigures {
  seconds: number;
  connections: number;
  photoBytes: number;
  requests: number;
  accepted: number;
  acceptedPerSecond: number;
  other: Record<string, number>;
  errors: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Zero-loss check right after the load. */
  stored: number;
  missing: number;
  queuedWithoutJob: number;
  failed: number;
  /** Drain by the one worker afterwards. */
  processed: number;
  drainSeconds: number;
}

async function benchUploads(environment: Environment, settings: Settings, context: BenchContext): Promise<UploadFigures> {
  const base = await sharp(join(fixturesDir, 'photos', 'person-a-1.jpg'))
    .resize(settings.photoSide, settings.photoSide, { fit: 'inside' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const boundary = `facecloud-load-${randomBytes(8).toString('hex')}`;
  const owners = UPLOADERS;
  const ownerHeaders = owners.map((owner) => asUser(owner));
  const acceptedIds: string[] = [];
  const statuses = new Map<string, number>();
  let serial = 0;
  context.progress(`uploads: ${settings.connections} connections for ${settings.durationSeconds} s, ${base.length} B per photo`);
  const result = await autocannon({
    url: environment.api.baseUrl!,
    connections: settings.connections,
    duration: settings.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/photos',
        setupRequest: (request) => {
          const n = serial++;
          return {
            ...request,
            headers: { ...ownerHeaders[n % owners.length], 'content-type': `multipart/form-data; boundary=${boundary}` },
            body: multipart(boundary, `load-${n}.jpg`, withComment(base, `facecloud load ${n} ${randomBytes(6).toString('hex')}`)),
          };
        },
        onResponse: (status, body) => {
          if (status === 202) {
            const parsed = JSON.parse(body) as { photos: Array<{ photoId: string; outcome: string }> };
            for (const photo of parsed.photos) if (photo.outcome === 'accepted') acceptedIds.push(photo.photoId);
          } else {
            statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
          }
        },
      },
    ],
  });

  // Zero loss: every accepted upload is stored, and processed or still queued with its job.
  const { rows } = await environment.pool.query<{ status: string; has_job: boolean }>(
    `SELECT p.status, EXISTS (SELECT 1 FROM ingest_jobs j WHERE j.photo_id = p.id) AS has_job
     FROM photos p WHERE p.id = ANY($1::uuid[])`,
    [acceptedIds],
  );
  const queuedWithoutJob = rows.filter((row) => row.status === 'queued' && !row.has_job).length;
  const failed = rows.filter((row) => row.status === 'failed').length;

  context.progress(`draining ${acceptedIds.length} uploads (at most ${settings.drainSeconds} s)`);
  const drainStarted = Date.now();
  let processed = 0;
  for (;;) {
    const { rows: counts } = await environment.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM photos WHERE id = ANY($1::uuid[]) AND status IN ('done', 'failed')`,
      [acceptedIds],
    );
    processed = counts[0].n;
    if (processed === acceptedIds.length || Date.now() - drainStarted > settings.drainSeconds * 1000) break;
    await sleep(500);
  }
  return {
    seconds: result.duration,
    connections: settings.connections,
    photoBytes: base.length,
    requests: result.requests.total,
    accepted: acceptedIds.length,
    acceptedPerSecond: round(acceptedIds.length / result.duration),
    other: Object.fromEntries(statuses),
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    stored: rows.length,
    missing: acceptedIds.length - rows.length,
    queuedWithoutJob,
    failed,
    processed,
    drainSeconds: round((Date.now() - drainStarted) / 1000),
  };
}

interface PeopleFigures {
  faces: number;
  persons: number;
  largestPerson: number;
  personsPerResponse: number;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

async function benchPeople(environment: Environment, settings: Settings, context: BenchContext): Promise<PeopleFigures> {
  const owner = PEOPLE_OWNER;
  const sizes = longTailedSizes(settings.faces, settings.persons, 2);
  context.progress(`inserting ${settings.faces} synthetic faces in ${settings.persons} persons`);
  // Listing never reads embeddings; without the HNSW index the bulk insert takes seconds, not minutes.
  await environment.pool.query('DROP INDEX IF EXISTS face_embeddings_hnsw_idx');
  await insertSyntheticLibrary(environment.pool, { ownerId: owner, facesPerIdentity: sizes, withPersons: true, seed: 7 });
  await environment.pool.query('ANALYZE');
  const headers = asUser(owner);
  const probe = await fetch(`${environment.api.baseUrl}/people`, { headers });
  if (probe.status !== 200) throw new Error(`GET /people answered ${probe.status}: ${await probe.text()}`);
  const listed = ((await probe.json()) as { people: unknown[] }).people.length;
  context.progress(`GET /people: ${settings.peopleConnections} connections for ${settings.durationSeconds} s`);
  const result = await autocannon({
    url: environment.api.baseUrl!,
    connections: settings.peopleConnections,
    duration: settings.durationSeconds,
    timeout: 30,
    requests: [{ method: 'GET', path: '/people', headers }],
  });
  return {
    faces: settings.faces,
    persons: sizes.length,
    largestPerson: sizes[0],
    personsPerResponse: listed,
    connections: settings.peopleConnections,
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: round(result.requests.average),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
}

async function run(context: BenchContext): Promise<BenchOutcome> {
  const settings = parseSettings(context);
  const environment = await startEnvironment(context);
  let uploads: UploadFigures;
  let people: PeopleFigures;
  try {
    uploads = await benchUploads(environment, settings, context);
    people = await benchPeople(environment, settings, context);
  } finally {
    await environment.close();
  }
  const lost = uploads.missing + uploads.queuedWithoutJob;
  const tables: BenchTable[] = [
    {
      title: `Uploads: POST /photos, one distinct ${Math.round(uploads.photoBytes / 1024)} KiB JPEG per request, ${uploads.connections} connections, ${uploads.seconds} s`,
      rows: [
        ['requests', 'accepted', 'accepted/s', 'other answers', 'errors', 'p50 ms', 'p99 ms', 'lost', 'processed (drain)'],
        [
          String(uploads.requests),
          String(uploads.accepted),
          uploads.acceptedPerSecond.toFixed(1),
          Object.entries(uploads.other).map(([status, count]) => `${status}×${count}`).join(' ') || '0',
          String(uploads.errors),
          String(uploads.latencyMs.p50),
          String(uploads.latencyMs.p99),
          String(lost),
          `${uploads.processed}/${uploads.accepted} in ${uploads.drainSeconds} s`,
        ],
      ],
      notes: [
        'api and one worker (PostgreSQL job table) on the same machine; the worker processes while uploads run.',
        `lost = accepted uploads without a photo row (${uploads.missing}) or queued without a job (${uploads.queuedWithoutJob}); failed: ${uploads.failed}.`,
      ],
    },
    {
      title: `People listing: GET /people, ${people.faces} faces in ${people.persons} persons (largest ${people.largestPerson}), ${people.connections} concurrent clients, ${people.seconds} s`,
      rows: [
        ['requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'persons per answer'],
        [
          String(people.requests),
          people.requestsPerSecond.toFixed(1),
          String(people.latencyMs.p50),
          String(people.latencyMs.p90),
          String(people.latencyMs.p99),
          String(people.latencyMs.max),
          String(people.non2xx),
          String(people.errors),
          String(people.personsPerResponse),
        ],
      ],
      notes: ['Synthetic faces and persons inserted with SQL (one face per photo); loopback, autocannon.'],
    },
  ];
  return { tables, json: { settings, uploads, people } };
}

export const loadSuite: BenchSuite = {
  name: 'load',
  description: 'HTTP load on api + worker with PostgreSQL: upload throughput with zero loss, people listing latency',
  run,
};

/** `npm run bench:load`: this suite alone, tables on stdout, JSON in bench-results/load.json. */
async function main(argv: string[]): Promise<void> {
  const outcome = await run({ argv, quick: argv.includes('--quick'), progress: (message) => console.error(`[load] ${message}`) });
  for (const table of outcome.tables) {
    console.log(`\n${table.title}\n${formatTable(table.rows)}`);
    for (const note of table.notes ?? []) console.log(`  ${note}`);
  }
  const dir = join(repoRoot, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'load.json');
  await writeFile(file, `${JSON.stringify({ suite: 'load', date: new Date().toISOString(), result: outcome.json }, null, 2)}\n`);
  console.log(`\nsaved ${file}`);
  const { uploads } = outcome.json as { uploads: UploadFigures };
  if (uploads.missing + uploads.queuedWithoutJob > 0) process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
