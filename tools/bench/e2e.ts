/**
 * Suite "e2e", the headline: what a user sees. Per photo set and database mode, a fresh
 * server process (the all-in-one, as `npm start` runs it, default settings) and a separate
 * client process (e2e-client.ts) that uploads the photos over HTTP as the admin UI does
 * (POST /photos, multipart, one file per request, 3 requests at a time) and polls the API
 * until every photo is processed. Every photo is new to the server. Reported per case:
 *
 *   - photos/s and faces/s over the wall time from the first upload request until the client
 *     sees no photo queued or processing (faces as GET /photos reports them);
 *   - upload latency p50/p99 (client side, request sent → answer read);
 *   - time from the first upload until GET /people lists a person (default clustering schedule);
 *   - CPU use of each core (/proc/stat through os.cpus(), over the timed run) and of the
 *     server and client processes; the server's peak RSS;
 *   - where the server's wall time went, from its own Prometheus metrics (GET /metrics before
 *     the first upload and right after the last photo is processed; differences of the
 *     histograms' sums), and which stages have no timer.
 *
 * The peer (@vladmandic/face-api on tfjs WASM, see peer.ts) runs on the same photos in the
 * same suite, one process per core, and "ours/peer" compares photos/s machine for machine.
 * The peer only decodes, detects and computes descriptors in memory: no HTTP, no storage.
 *
 * Photo sets (a set whose folder is absent is skipped, saying so):
 *   dev   all photos of the dev set (`../shared/datasets/dev`)
 *   lfw   `../shared/datasets/lfw-clusters`: 250 px news photos, one face each; 1000 by default
 *   mix   ≈ 3 faces per photo: the dev set's group photos and as many people photos, repeated
 *         with other bytes (a JPEG comment) up to ≥ 100 photos, as the ingest suite's mix
 *
 *   --modes embedded,postgres,kafka-1,kafka-2
 *                               deployments (default all): the all-in-one on embedded PGlite or
 *                               on PostgreSQL (a scratch database on BENCH_DATABASE_URL or on a
 *                               throwaway cluster); kafka-N: the api, N worker processes and the
 *                               clusterer as separate processes on PostgreSQL with a 4-partition
 *                               ingest topic on the mock Kafka broker, one user uploading (skipped
 *                               with a message when the broker is not built)
 *   --sets dev,lfw,mix          photo sets (default all)
 *   --limit <n>                 at most n photos per set (default: dev and mix all, lfw 1000)
 *   --concurrency <n>           upload requests in flight (default 3, the admin UI's)
 *   --peer-processes <n>        peer processes (default: one per core); 0 = no peer rows
 *   --first-person-wait <s>     how long to wait for the first person after the last photo
 *                               is processed (default 60: the schedule runs every 30 s)
 *   --quick                     the dev set, 40 photos
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { loadConfig } from '@facecloud/config';
import { metricValue, parsePrometheus, type Sample } from '../support/prometheus';
import { startService, waitForPartitionsHeld, type RunningService } from '../support/service-process';
import { asUser, provisionUsers } from '../support/api-users';
import { datasetsDir } from '../support/paths';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';
import { mockKafkaBinary, mockKafkaServiceEnv, startMockKafka, type MockKafka } from '../support/mock-kafka';
import type { E2eClientProcessed, E2eClientReport, E2eClientTask, UploadSource } from './e2e-client';
import { postgresServer } from './ingest';
import { runPeerProcesses, type PeerProcessesResult } from './peer';
import { listPhotos, positiveInteger, round, spread, suiteOptions } from './photos';
import { percentile } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite, BenchTable } from './suite';

type Mode = 'embedded' | 'postgres' | 'kafka-1' | 'kafka-2';
type SetKey = 'dev' | 'lfw' | 'mix';

const MODES: readonly Mode[] = ['embedded', 'postgres', 'kafka-1', 'kafka-2'];
const KAFKA_PARTITIONS = 4;
/** Worker processes of a Kafka mode. */
const kafkaWorkers = (mode: Mode): number => (mode.startsWith('kafka-') ? Number(mode.slice('kafka-'.length)) : 0);
const SET_KEYS: readonly SetKey[] = ['dev', 'lfw', 'mix'];
const DEFAULT_LFW_LIMIT = 1000;
/** The mix is repeated (with other bytes) up to at least this many photos, so start-up effects stay small. */
const MIN_MIX_PHOTOS = 100;
const USER = 'bench-e2e';
const POLL_INTERVAL_MS = 200;

interface PhotoSet {
  key: SetKey;
  label: string;
  photos: UploadSource[];
}

interface Settings {
  modes: Mode[];
  sets: SetKey[];
  limit: number | undefined;
  concurrency: number;
  peerProcesses: number;
  firstPersonWaitMs: number;
}

/** Busy and total milliseconds of each core (os.cpus() reads /proc/stat on Linux). */
type CoreTimes = Array<{ busy: number; total: number }>;

interface CpuUse {
  /** Share of each core's time spent busy, 0–100. */
  corePercent: number[];
}

interface CaseResult {
  set: SetKey;
  mode: Mode;
  client: E2eClientReport;
  cpu: CpuUse;
  serverCpuSeconds: number;
  /** All server processes' peaks added up (one process but for the Kafka modes). */
  serverPeakRssMiB: number;
  /** Differences of the all-in-one server's metrics over the timed run (not for the Kafka modes). */
  breakdown?: Breakdown;
  /** Kafka modes: photos each worker process processed. */
  photosPerWorker?: number[];
}

interface PeerResult extends PeerProcessesResult {
  set: SetKey;
  cpu: CpuUse;
}

export const e2eSuite: BenchSuite = {
  name: 'e2e',
  description: 'a fresh server, photos uploaded over HTTP by a client process until all are processed; the peer, one process per core',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const settings = parseSettings(context);
    const sets: PhotoSet[] = [];
    const skipped: string[] = [];
    for (const key of settings.sets) {
      const set = await photoSet(key, settings.limit);
      if (typeof set === 'string') {
        skipped.push(set);
        context.progress(`skipped: ${set}`);
      } else sets.push(set);
    }
    if (sets.length === 0) throw new Error(`no photo set to run: ${skipped.join('; ')}`);
    if (settings.modes.some((mode) => kafkaWorkers(mode) > 0) && !existsSync(mockKafkaBinary())) {
      const reason = `Kafka modes: the mock broker ${mockKafkaBinary()} is not built (bash scripts/build-kafka-mock.sh)`;
      skipped.push(reason);
      context.progress(`skipped: ${reason}`);
      settings.modes = settings.modes.filter((mode) => kafkaWorkers(mode) === 0);
    }

    const server = settings.modes.some((mode) => mode !== 'embedded') ? await postgresServer(context) : undefined;
    const cases: CaseResult[] = [];
    const peers: PeerResult[] = [];
    try {
      for (const set of sets) {
        for (const mode of settings.modes) {
          context.progress(`${set.label}, ${mode}: ${set.photos.length} photos`);
          cases.push(await runCase(set, mode, server?.url, settings, context));
        }
        if (settings.peerProcesses > 0) {
          context.progress(`${set.label}, peer: ${settings.peerProcesses} process(es)`);
          let before: CoreTimes = [];
          const result = await runPeerProcesses(
            set.photos.map((photo) => photo.path),
            settings.peerProcesses,
            () => (before = coreTimes()),
          );
          peers.push({ ...result, set: set.key, cpu: cpuUse(before, coreTimes()) });
        }
      }
    } finally {
      await server?.stop();
    }
    return outcome(sets, cases, peers, skipped, settings);
  },
};

function parseSettings(context: BenchContext): Settings {
  const values = suiteOptions(context.argv, {
    modes: 'string',
    sets: 'string',
    limit: 'string',
    concurrency: 'string',
    'peer-processes': 'string',
    'first-person-wait': 'string',
  });
  const list = <T extends string>(value: unknown, known: readonly T[], name: string): T[] => {
    if (value === undefined) return [...known];
    const items = String(value).split(',').map((item) => item.trim()).filter(Boolean);
    const unknown = items.filter((item) => !known.includes(item as T));
    if (unknown.length > 0 || items.length === 0) throw new RangeError(`${name}: expected some of ${known.join(',')}, got ${String(value)}`);
    return items as T[];
  };
  const peerProcesses = values['peer-processes'] === undefined ? cpus().length : Number(values['peer-processes']);
  if (!Number.isInteger(peerProcesses) || peerProcesses < 0) throw new RangeError(`--peer-processes must be 0 or more, got ${String(values['peer-processes'])}`);
  return {
    modes: list(values.modes, MODES, '--modes'),
    sets: context.quick && values.sets === undefined ? ['dev'] : list(values.sets, SET_KEYS, '--sets'),
    limit: values.limit !== undefined ? positiveInteger(values.limit, '--limit') : context.quick ? 40 : undefined,
    concurrency: positiveInteger(values.concurrency ?? 3, '--concurrency'),
    peerProcesses,
    firstPersonWaitMs: positiveInteger(values['first-person-wait'] ?? 60, '--first-person-wait') * 1000,
  };
}

/** The photos of a set, or why it is skipped. */
async function photoSet(key: SetKey, limit: number | undefined): Promise<PhotoSet | string> {
  const folder = join(datasetsDir, key === 'lfw' ? 'lfw-clusters' : 'dev');
  if (!existsSync(folder)) return `${key}: ${folder} not found (set FACECLOUD_DATASETS)`;
  const paths = (await listPhotos(folder)).map((path) => join(folder, path));
  if (paths.length === 0) return `${key}: no photos in ${folder}`;
  const originals = (selected: string[]) => selected.map((path) => ({ path, copy: 0 }));
  if (key === 'dev') return { key, label: 'dev photos', photos: originals(spread(paths, limit ?? Infinity)) };
  if (key === 'lfw') return { key, label: 'lfw-clusters', photos: originals(spread(paths, limit ?? DEFAULT_LFW_LIMIT)) };
  // Group photos hold about 5 faces and people photos about 1: as many of each make about 3.
  const under = (name: string) => paths.filter((path) => path.startsWith(join(folder, name, '/')));
  const groups = under('groups');
  const people = under('people');
  if (groups.length === 0 || people.length < groups.length) return `mix: ${folder} has no groups/ and people/ folders to mix`;
  const base = [...groups, ...spread(people, groups.length)];
  const copies = Math.ceil(MIN_MIX_PHOTOS / base.length);
  const photos = Array.from({ length: copies }, (_, copy) => base.map((path) => ({ path, copy }))).flat();
  return { key, label: `≈ 3 faces per photo (${groups.length} groups/ + ${groups.length} people/ dev photos × ${copies})`, photos: spread(photos, limit ?? Infinity) };
}

/** The server side of one case, running and ready for uploads. */
interface Deployment {
  baseUrl: string;
  /** Every server process (the all-in-one; or the api, workers and clusterer). */
  pids: number[];
  /** Kafka modes: photos processed by each worker process so far. */
  photosPerWorker?(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A fresh deployment for one case: the all-in-one on a new data folder (and, for postgres, a
 * scratch database), or for kafka-N the api, N workers and the clusterer on a scratch
 * database with a new 4-partition topic, every worker holding partitions before it returns.
 */
async function deploy(mode: Mode, dataDir: string, postgresUrl: string | undefined): Promise<Deployment> {
  const env: Record<string, string> = { DATA_DIR: dataDir };
  const services: RunningService[] = [];
  let database: ScratchDatabase | undefined;
  let broker: MockKafka | undefined;
  const stop = async () => {
    await Promise.all(services.map((service) => service.stop()));
    await broker?.stop();
    await database?.drop();
  };
  try {
    if (mode !== 'embedded') {
      if (!postgresUrl) throw new Error(`the ${mode} mode needs a PostgreSQL server`);
      database = await createScratchDatabase('bench_e2e', postgresUrl);
      env.DATABASE_URL = database.url;
    }
    // Before the server starts: the embedded data folder takes one process at a time.
    await provisionUsers(env, [USER]);
    const workers = kafkaWorkers(mode);
    if (workers === 0) {
      services.push(await startService('all-in-one', env, 120_000));
      return { baseUrl: services[0].baseUrl!, pids: [services[0].pid], stop };
    }
    broker = await startMockKafka({ topics: { 'bench.ingest': KAFKA_PARTITIONS, 'bench.dead': 1 } });
    Object.assign(env, mockKafkaServiceEnv(broker), { KAFKA_INGEST_TOPIC: 'bench.ingest', KAFKA_DEAD_LETTER_TOPIC: 'bench.dead' });
    const api = await startService('api', env, 120_000);
    services.push(api);
    const workerServices = await Promise.all(
      Array.from({ length: workers }, (_, index) => startService('worker', { ...env, WORKER_ID: `worker-${index + 1}`, MIGRATE_ON_START: 'false' }, 120_000)),
    );
    services.push(...workerServices, await startService('clusterer', { ...env, MIGRATE_ON_START: 'false' }, 120_000));
    await waitForPartitionsHeld(workerServices, KAFKA_PARTITIONS, 120_000);
    const url = database!.url;
    return {
      baseUrl: api.baseUrl!,
      pids: services.map((service) => service.pid),
      stop,
      photosPerWorker: async () => {
        const counts = await countProcessedBy(url);
        return workerServices.map((_, index) => counts.get(`worker-${index + 1}`) ?? 0);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function countProcessedBy(url: string): Promise<Map<string, number>> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ processed_by: string; photos: number }>(
      "SELECT processed_by, count(*)::int AS photos FROM photos WHERE status = 'done' GROUP BY processed_by",
    );
    return new Map(rows.map((row) => [row.processed_by, row.photos]));
  } finally {
    await pool.end();
  }
}

/** One case: a fresh deployment, a fresh user, a client process uploading the set. */
async function runCase(set: PhotoSet, mode: Mode, postgresUrl: string | undefined, settings: Settings, context: BenchContext): Promise<CaseResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-bench-e2e-'));
  let deployment: Deployment | undefined;
  try {
    deployment = await deploy(mode, dataDir, postgresUrl);
    const { baseUrl, pids } = deployment;
    const allInOne = kafkaWorkers(mode) === 0;

    const client = fork(join(__dirname, 'e2e-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const messages = clientMessages(client);
      const task: E2eClientTask = {
        baseUrl,
        headers: asUser(USER),
        photos: set.photos,
        concurrency: settings.concurrency,
        pollIntervalMs: POLL_INTERVAL_MS,
        firstPersonWaitMs: settings.firstPersonWaitMs,
      };
      client.send({ type: 'task', task });
      await messages.ready;

      const metricsBefore = allInOne ? await scrapeMetrics(baseUrl) : [];
      const coresBefore = coreTimes();
      const serverCpuBefore = sum(pids.map(processCpuSeconds));
      client.send({ type: 'go' });
      const processed = await withDeadline(messages.processed, processingDeadlineMs(set.photos.length), `${set.label}, ${mode}: photos not all processed`);
      const coresAfter = coreTimes();
      const serverCpuSeconds = sum(pids.map(processCpuSeconds)) - serverCpuBefore;
      const metricsAfter = allInOne ? await scrapeMetrics(baseUrl) : [];
      const photosPerWorker = await deployment.photosPerWorker?.();
      context.progress(`${set.label}, ${mode}: processed in ${(processed.wallMs / 1000).toFixed(1)} s; waiting for the first person`);
      const report = await messages.report;
      if (report.accepted !== set.photos.length) {
        throw new Error(`${report.accepted} of ${set.photos.length} uploads accepted (${report.duplicates} duplicates; rejected: ${report.rejected.join('; ')})`);
      }
      return {
        set: set.key,
        mode,
        client: report,
        cpu: cpuUse(coresBefore, coresAfter),
        serverCpuSeconds,
        serverPeakRssMiB: sum(pids.map(peakRssMiBOf)),
        breakdown: allInOne ? breakdown(metricsBefore, metricsAfter, processed.wallMs / 1000, workerLoops()) : undefined,
        photosPerWorker,
      };
    } finally {
      if (client.exitCode === null) client.kill();
    }
  } finally {
    await deployment?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** Generous: a server this slow is broken, and the benchmark should say so rather than hang. */
function processingDeadlineMs(photos: number): number {
  return Math.max(300_000, photos * 2_000);
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function clientMessages(client: ReturnType<typeof fork>) {
  const exited = new Promise<never>((_, reject) => client.on('exit', (code) => reject(new Error(`client process exited with ${code}`))));
  const message = <T>(type: string, field?: string) =>
    Promise.race([
      exited,
      new Promise<T>((resolve, reject) =>
        client.on('message', (received: Record<string, unknown>) => {
          if (received.type === 'error') reject(new Error(`client failed: ${String(received.error)}`));
          if (received.type === type) resolve((field ? received[field] : received) as T);
        }),
      ),
    ]);
  const ready = message<unknown>('ready');
  const processed = message<E2eClientProcessed>('processed', 'processed');
  const report = message<E2eClientReport>('report', 'report');
  // Awaited one after another; a failure rejects the one awaited then.
  processed.catch(() => undefined);
  report.catch(() => undefined);
  return { ready, processed, report };
}

async function scrapeMetrics(baseUrl: string): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return parsePrometheus(await response.text());
}

function coreTimes(): CoreTimes {
  return cpus().map(({ times }) => {
    const busy = times.user + times.nice + times.sys + times.irq;
    return { busy, total: busy + times.idle };
  });
}

function cpuUse(before: CoreTimes, after: CoreTimes): CpuUse {
  return {
    corePercent: after.map((core, index) => {
      const total = core.total - before[index].total;
      return total > 0 ? (100 * (core.busy - before[index].busy)) / total : 0;
    }),
  };
}

/** User + system CPU seconds of a process so far, from /proc/<pid>/stat (Linux; NaN elsewhere). */
function processCpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15) are in clock ticks: USER_HZ, 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A process's peak resident memory (VmHWM) in MiB (Linux; NaN elsewhere). */
function peakRssMiBOf(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Seconds of each activity of the server over the run, from its histograms' sums. */
type Breakdown = Record<string, number>;

/**
 * Where the server's wall time went. Each worker loop's stages run one after another, so they
 * add up to the run's wall time; the analyzer stages run on several threads at once and add up
 * to thread-seconds; HTTP and the clusterer run alongside in the same process.
 */
const BREAKDOWN_ROWS: ReadonlyArray<{ key: string; label: string }> = [
  { key: 'idle', label: 'idle: waiting for jobs (loops × wall time less the stages below)' },
  { key: 'claim', label: 'job claiming' },
  { key: 'check', label: 'photo checks (photo row, original present, marked processing)' },
  { key: 'load', label: 'reading originals (blob store)' },
  { key: 'analyze', label: 'analysis (vision pipeline, per micro-batch), of which, on the analyzer threads:' },
  { key: 'decode', label: '  decode' },
  { key: 'detection', label: '  detection (pyramid, P-, R-, O-Net)' },
  { key: 'embedding', label: '  alignment + embedding' },
  { key: 'thumbnail', label: '  thumbnails' },
  { key: 'quality', label: '  blur, trash, quality' },
  { key: 'store', label: 'database writes: faces, photo done' },
  { key: 'complete', label: 'database writes: job completion' },
  { key: 'upload', label: '[alongside] HTTP POST /photos, whole requests, of which:' },
  { key: 'upload receive', label: '  receiving the file (body to a temporary file; the rest of the request)' },
  { key: 'upload check', label: '  upload checks (name, format, size from the header)' },
  { key: 'upload store', label: '  storing (blob store, photo row and job)' },
  { key: 'polls', label: "[alongside] HTTP GET: the client's status polls" },
  { key: 'clusterer runs', label: '[alongside] clusterer: clustering runs' },
  { key: 'clusterer assign', label: '[alongside] clusterer: incremental assignment passes' },
];

/** The all-in-one's worker loops (micro-batches in flight): the server gets our environment, so our setting is its setting. */
function workerLoops(): number {
  return loadConfig(process.env).WORKER_BATCHES_IN_FLIGHT;
}

function breakdown(before: Sample[], after: Sample[], wallSeconds: number, loops: number): Breakdown {
  const delta = (name: string, labels: Record<string, string> = {}) =>
    (metricValue(after, name, labels) ?? 0) - (metricValue(before, name, labels) ?? 0);
  const stage = (name: string) => delta('facecloud_stage_duration_seconds_sum', { stage: name });
  const vision = (...names: string[]) => names.reduce((sum, name) => sum + delta('facecloud_vision_stage_duration_seconds_sum', { stage: name }), 0);
  const http = 'facecloud_http_request_duration_seconds_sum';
  const loop = { claim: stage('claim'), check: stage('check'), load: stage('load'), analyze: stage('analyze'), store: stage('store'), complete: stage('complete') };
  const upload = delta(http, { method: 'POST', route: '/photos' });
  return {
    // Derived: the idle timer of the sleep under way when the run starts began before it (up
    // to one WORKER_POLL_INTERVAL_MS), and the loop's bookkeeping between stages has no timer.
    idle: loops * wallSeconds - Object.values(loop).reduce((total, seconds) => total + seconds, 0),
    loops,
    idleTimer: stage('idle'),
    ...loop,
    decode: vision('decode'),
    detection: vision('pyramid', 'pnet', 'rnet', 'onet'),
    embedding: vision('align', 'embed'),
    thumbnail: vision('thumbnail'),
    quality: vision('quality'),
    upload,
    'upload receive': upload - stage('upload_check') - stage('upload_store'),
    'upload check': stage('upload_check'),
    'upload store': stage('upload_store'),
    polls: delta(http, { method: 'GET' }) - delta(http, { method: 'GET', route: '/metrics' }),
    'clusterer runs': delta('facecloud_clustering_run_duration_seconds_sum'),
    'clusterer assign': delta('facecloud_clustering_assign_duration_seconds_sum'),
  };
}

function outcome(sets: readonly PhotoSet[], cases: readonly CaseResult[], peers: readonly PeerResult[], skipped: readonly string[], settings: Settings): BenchOutcome {
  const perSecond = (count: number, ms: number) => (count / ms) * 1000;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const caseName = (result: CaseResult) => {
    const workers = kafkaWorkers(result.mode);
    if (workers > 0) return `Kafka: api + ${workers} worker${workers > 1 ? 's' : ''} + clusterer, PostgreSQL`;
    return result.mode === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL';
  };
  const broken = cases.filter((result) => result.breakdown !== undefined);
  const peerName = (peer: PeerResult) => `peer: face-api, ${peer.processes} process${peer.processes > 1 ? 'es' : ''}`;
  const labelOf = (key: SetKey) => sets.find((set) => set.key === key)!.label;

  const headline: BenchTable = {
    title: 'End to end: a fresh deployment, photos uploaded over HTTP by a client process until every one is processed',
    rows: [
      ['photos', 'server', 'photos', 'faces', 'failed', 'seconds', 'photos/s', 'faces/s', 'ours/peer', 'upload p50 ms', 'upload p99 ms', 'first person s', 'server CPU s', 'server peak RSS MiB'],
      ...sets.flatMap((set) => {
        const peer = peers.find((result) => result.set === set.key);
        const ours = cases.filter((result) => result.set === set.key);
        return [
          ...ours.map((result) => [
            set.label,
            caseName(result),
            String(result.client.done + result.client.failed),
            String(result.client.faces),
            String(result.client.failed),
            seconds(result.client.wallMs),
            perSecond(result.client.done, result.client.wallMs).toFixed(1),
            perSecond(result.client.faces, result.client.wallMs).toFixed(1),
            peer ? `${(perSecond(result.client.done, result.client.wallMs) / perSecond(peer.photos, peer.wallMs)).toFixed(2)}×` : '',
            percentile(result.client.uploadLatencyMs, 0.5).toFixed(0),
            percentile(result.client.uploadLatencyMs, 0.99).toFixed(0),
            result.client.firstPersonMs === null ? `none in ${seconds(result.client.wallMs + settings.firstPersonWaitMs)}` : seconds(result.client.firstPersonMs),
            result.serverCpuSeconds.toFixed(1),
            result.serverPeakRssMiB.toFixed(0),
          ]),
          ...(peer
            ? [[set.label, peerName(peer), String(peer.photos), String(peer.faces), '', seconds(peer.wallMs), perSecond(peer.photos, peer.wallMs).toFixed(1), perSecond(peer.faces, peer.wallMs).toFixed(1), '1.00×', '', '', '', '', '']]
            : []),
        ];
      }),
    ],
    notes: [
      `seconds: first upload request → the client's poll (every ${POLL_INTERVAL_MS} ms) seeing no photo queued or processing; ${settings.concurrency} upload requests in flight, one file each (as the admin UI)`,
      'faces: as GET /photos reports them (blurry and trash faces included); first person: first upload → GET /people lists one (default clustering schedule)',
      'peer: @vladmandic/face-api on tfjs WASM (single-threaded), photos dealt out to its processes, models loaded before the clock starts; decode + detection + descriptors in memory, nothing stored',
      'ours/peer: our photos/s end to end over the peer\'s photos/s on the same photos, same machine (higher = ours faster)',
      `Kafka rows: separate processes, one user's uploads, a ${KAFKA_PARTITIONS}-partition ingest topic on the mock broker (jobs keyed by photo); server CPU and RSS add up all the processes; photos per worker: ${
        cases
          .filter((result) => result.photosPerWorker)
          .map((result) => `${labelOf(result.set)}, ${kafkaWorkers(result.mode)} worker(s): ${result.photosPerWorker!.join(' + ')}`)
          .join('; ') || 'no Kafka row'
      }`,
      ...skipped.map((reason) => `skipped ${reason}`),
    ],
  };

  const coreCount = Math.max(...[...cases.map((result) => result.cpu.corePercent.length), ...peers.map((peer) => peer.cpu.corePercent.length)]);
  const cpuTable: BenchTable = {
    title: 'CPU use of each core over the timed run (busy share of each core, from /proc/stat)',
    rows: [
      ['photos', 'server', ...Array.from({ length: coreCount }, (_, core) => `core ${core}`), 'server process CPU s', 'client process CPU s'],
      ...sets.flatMap((set) => [
        ...cases
          .filter((result) => result.set === set.key)
          .map((result) => [
            set.label,
            caseName(result),
            ...result.cpu.corePercent.map((percent) => `${percent.toFixed(0)} %`),
            result.serverCpuSeconds.toFixed(1),
            result.client.cpuSeconds.toFixed(1),
          ]),
        ...peers
          .filter((peer) => peer.set === set.key)
          .map((peer) => [set.label, peerName(peer), ...peer.cpu.corePercent.map((percent) => `${percent.toFixed(0)} %`), '', '']),
      ]),
    ],
    notes: ['whole-machine figures: anything else running on the machine counts too (see the load average in the summary)'],
  };

  const wallTable: BenchTable = {
    title: "Where the server's wall time went (seconds over the timed run, from its /metrics; share of the run's wall time)",
    rows: [
      ['activity', ...broken.map((result) => `${labelOf(result.set).split(' (')[0]}, ${caseName(result)}`)],
      ['run wall time', ...broken.map((result) => `${seconds(result.client.wallMs)} s`)],
      ['worker loops (micro-batches in flight)', ...broken.map((result) => String(result.breakdown!.loops))],
      ...BREAKDOWN_ROWS.map((row) => [
        row.label,
        ...broken.map((result) => {
          const value = result.breakdown![row.key];
          const loopRow = !row.label.startsWith('[alongside]') && !row.label.startsWith('  ');
          const whole = (loopRow ? result.breakdown!.loops : 1) * (result.client.wallMs / 1000);
          return `${value.toFixed(1)} s (${((100 * value) / whole).toFixed(0)} %)`;
        }),
      ]),
    ],
    notes: [
      "unindented rows without [alongside]: the worker loops' stages, one after another in each loop, adding up to the run's wall time times the loops (their share is of that); indented under analysis: its parts summed over the analyzer threads, which run at once (thread-seconds: they can add up to more than analysis)",
      '[alongside]: in the same process at the same time as the worker loop (one event loop, so each row includes waiting for it); HTTP rows add up concurrent requests; clusterer rows count the work finished within the run (the first clustering run may come after it)',
      "idle is derived (the worker's idle timer also counts the wait under way when the first upload arrives: see idleTimer in the JSON); not instrumented: the loop's bookkeeping between its stages (in idle), waiting for the event loop (in every row); the Kafka rows have no breakdown here (their stages are spread over several processes)",
    ],
  };

  return {
    tables: [headline, cpuTable, wallTable],
    json: {
      settings,
      skipped,
      sets: sets.map((set) => ({ key: set.key, label: set.label, photos: set.photos.length })),
      cases: cases.map((result) => ({
        set: result.set,
        mode: result.mode,
        photos: result.client.done + result.client.failed,
        done: result.client.done,
        failed: result.client.failed,
        faces: result.client.faces,
        wallMs: round(result.client.wallMs, 0),
        uploadWallMs: round(result.client.uploadWallMs, 0),
        photosPerSecond: round(perSecond(result.client.done, result.client.wallMs), 2),
        facesPerSecond: round(perSecond(result.client.faces, result.client.wallMs), 2),
        uploadLatencyMs: {
          p50: round(percentile(result.client.uploadLatencyMs, 0.5), 1),
          p99: round(percentile(result.client.uploadLatencyMs, 0.99), 1),
          max: round(Math.max(...result.client.uploadLatencyMs), 1),
        },
        firstPersonMs: result.client.firstPersonMs === null ? null : round(result.client.firstPersonMs, 0),
        corePercent: result.cpu.corePercent.map((percent) => round(percent, 1)),
        serverCpuSeconds: round(result.serverCpuSeconds, 2),
        clientCpuSeconds: round(result.client.cpuSeconds, 2),
        serverPeakRssMiB: round(result.serverPeakRssMiB, 1),
        serverSeconds: result.breakdown && Object.fromEntries(Object.entries(result.breakdown).map(([key, value]) => [key, round(value, 3)])),
        photosPerWorker: result.photosPerWorker,
      })),
      peer: peers.map((peer) => ({
        set: peer.set,
        processes: peer.processes,
        photos: peer.photos,
        faces: peer.faces,
        wallMs: round(peer.wallMs, 0),
        photosPerSecond: round(perSecond(peer.photos, peer.wallMs), 2),
        facesPerSecond: round(perSecond(peer.faces, peer.wallMs), 2),
        corePercent: peer.cpu.corePercent.map((percent) => round(percent, 1)),
      })),
    },
  };
}
