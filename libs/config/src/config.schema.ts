import { isIP } from 'node:net';
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Names Express accepts for groups of addresses in its "trust proxy" setting. */
const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyAddress = (entry: string) => {
  if (PROXY_ADDRESS_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
};

/**
 * Which reverse proxies may name the client in X-Forwarded-For (Express's "trust proxy"):
 * `false` (default: the client is the TCP peer), a number of proxy hops, or a comma-separated
 * list of proxy addresses, subnets and loopback/linklocal/uniquelocal. `true` (trust any
 * sender) is refused: every client could then pick its own address and escape per-address limits.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, context): false | number | string[] => {
    if (value === '' || value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    const bad = entries.filter((entry) => !isProxyAddress(entry));
    if (bad.length) {
      context.addIssue({
        code: 'custom',
        message:
          `not a number of hops or a list of proxy addresses/subnets (loopback, linklocal, uniquelocal): ${bad.join(', ')}` +
          (bad.includes('true') ? ' (true would trust X-Forwarded-For from anyone)' : ''),
      });
      return z.NEVER;
    }
    return entries;
  });

/**
 * Every setting the processes read, with its default and allowed range. The configuration
 * table in docs/configuration.md is written from this schema; keep them in step.
 */
export const configSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  /** Reverse proxies allowed to name the client address (X-Forwarded-For); see trustProxy. */
  TRUST_PROXY: trustProxy.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Local state of the embedded mode: the PGlite database and the blob store. */
  DATA_DIR: z.string().default('data'),
  /** PostgreSQL with pgvector; unset = embedded PGlite under DATA_DIR. */
  DATABASE_URL: optionalString,
  DATABASE_POOL_MAX: int(1, 100).default(10),
  MIGRATE_ON_START: booleanFlag.default(true),
  /** Where originals are stored; defaults to DATA_DIR/blobs. */
  BLOB_DIR: optionalString,

  /** Comma-separated Kafka bootstrap brokers; unset = PostgreSQL-backed job queue. */
  KAFKA_BROKERS: optionalString,
  KAFKA_CLIENT_ID: z.string().default('facecloud'),
  KAFKA_INGEST_TOPIC: z.string().default('facecloud.photos.ingest'),
  KAFKA_CONSUMER_GROUP: z.string().default('facecloud-ingest-workers'),
  /** Jobs given up on are published here (with the reason) so the partition keeps flowing. */
  KAFKA_DEAD_LETTER_TOPIC: z.string().default('facecloud.photos.ingest.dead-letters'),
  /** Longest a fetch waits for new messages; also how long an idle worker takes to notice stop. */
  KAFKA_FETCH_MAX_WAIT_MS: int(10, 60_000).default(5000),
  KAFKA_SESSION_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: int(100, 60_000).default(3000),
  /** How long the group waits for members to rejoin during a rebalance. */
  KAFKA_REBALANCE_TIMEOUT_MS: int(1000, 600_000).default(60_000),

  MODELS_DIR: z.string().default('models'),
  /** onnxruntime execution provider: auto = CUDA when available, else CPU. */
  ORT_PROVIDER: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
  ORT_INTRA_OP_THREADS: int(0, 256).default(0),
  /** MobileFaceNet in float32 or int8 (faster on CPU, same accuracy on lfw-clusters); auto = int8 on a CPU with int8 dot products (libs/vision cpu-int8.ts), else float32. */
  EMBEDDING_PRECISION: z.enum(['auto', 'float32', 'int8']).default('auto'),
  /** Photo analyzers on their own threads: 0 = one per core (at most 4) on CPU, one on CUDA; 1 = in the worker's own thread. */
  ANALYZER_THREADS: int(0, 64).default(0),

  UPLOAD_MAX_FILE_BYTES: int(1, 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  UPLOAD_MAX_FILES: int(1, 1000).default(50),
  /** Decoder refuses images with more pixels than this (decompression bombs). */
  DECODE_MAX_INPUT_PIXELS: int(1, 1_000_000_000).default(100_000_000),
  /**
   * Decoder memory of the images that cannot be streamed (progressive JPEG, interlaced PNG,
   * HEIF): one needing more is refused; the decodes of a process together stay under it.
   */
  DECODE_MAX_MEMORY_BYTES: int(16 * 1024 * 1024, 64 * 1024 ** 3).default(512 * 1024 * 1024),
  /** Working resolution: photos are shrunk on load so the long side is at most this. */
  DETECT_MAX_SIDE: int(64, 8192).default(1024),
  DETECT_MIN_FACE_PX: int(12, 1000).default(40),
  DETECT_MAX_FACES: int(1, 1000).default(100),
  /** Face-probability thresholds of MTCNN's three stages. */
  DETECT_PNET_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  DETECT_RNET_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  DETECT_ONET_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  /**
   * P-Net over each pyramid level (per-scale) or over all levels packed on one canvas
   * (packed): the same faces; packed saves runs, which pays where a run is costly (GPU).
   */
  DETECT_PYRAMID: z.enum(['per-scale', 'packed']).default('per-scale'),

  CLUSTER_INTERVAL_SECONDS: int(1, 86_400).default(30),
  /** How persons are formed: average linkage at a threshold set by library size, or HDBSCAN (the method before it). */
  CLUSTER_ALGORITHM: z.enum(['average-linkage', 'hdbscan']).default('average-linkage'),
  /** Average linkage: fixed cosine-similarity threshold; 0 = by library size (linkageThresholdFor). */
  CLUSTER_LINKAGE_THRESHOLD: z.coerce.number().min(0).max(1).default(0),
  /** HDBSCAN (libs/clustering): 0 = adapt to library size (2 up to 1k faces, 3 up to 100k, 4 beyond). */
  CLUSTER_MIN_CLUSTER_SIZE: z.coerce.number().int().refine((v) => v === 0 || (v >= 2 && v <= 1000), '0 (auto) or 2..1000').default(0),
  CLUSTER_MIN_SAMPLES: int(0, 1000).default(0),
  /** A library that never splits (one person and strangers) is one person of the faces within this cosine distance. */
  CLUSTER_SINGLE_PERSON_MAX_DISTANCE: z.coerce.number().min(0).max(2).default(0.45),

  /** Persons between and across runs: run jobs, their schedule, incremental assignment. */
  /** How often a clusterer looks for queued runs and for new faces to assign. */
  CLUSTER_POLL_INTERVAL_MS: int(50, 60_000).default(2000),
  /** The schedule queues a run when at least this many new faces arrived since the last run... */
  CLUSTER_RUN_MIN_NEW_FACES: int(1, 1_000_000).default(20),
  /** ...and they are at least this share of the faces the last run saw (big libraries re-run less often). */
  CLUSTER_RUN_MIN_NEW_FRACTION: z.coerce.number().min(0).max(10).default(0.1),
  /** A changed library is re-clustered at the latest this long after its last run, whatever the counts. */
  CLUSTER_RUN_MAX_DELAY_SECONDS: int(0, 7 * 86_400).default(600),
  /** A claimed run not finished within this is taken as lost (its clusterer died) and can run again. */
  CLUSTER_RUN_LEASE_SECONDS: int(10, 86_400).default(900),
  /** Longest `POST /clustering/run?wait=true` waits for the run to finish. */
  CLUSTER_RUN_WAIT_SECONDS: int(1, 3600).default(120),
  /** Incremental assignment: nearest assigned faces asked about a new face... */
  CLUSTER_ASSIGN_NEIGHBOURS: int(1, 100).default(5),
  /** ...at least this cosine-similar to it... */
  CLUSTER_ASSIGN_MIN_SIMILARITY: z.coerce.number().min(0).max(1).default(0.5),
  /** ...and votes its person needs (plus a strict majority), else the face waits for the next run. */
  CLUSTER_ASSIGN_MIN_VOTES: int(1, 100).default(2),
  /** New faces one incremental pass assigns per owner at most. */
  CLUSTER_ASSIGN_BATCH: int(1, 10_000).default(500),
  /** Owners with at most this many assigned faces get exact kNN scans; bigger ones the HNSW index. */
  CLUSTER_KNN_EXACT_MAX_FACES: int(0, 100_000_000).default(50_000),

  WORKER_POLL_INTERVAL_MS: int(10, 60_000).default(1000),
  /** Photos a worker processes together (R-Net, O-Net and embeddings batched across them). */
  WORKER_BATCH_SIZE: int(1, 256).default(8),
  /** Micro-batches in flight at once without Kafka: one is analysed while another is read or written. */
  WORKER_BATCHES_IN_FLIGHT: int(1, 8).default(2),
  /** Recorded with each processed photo; defaults to host name and process id. */
  WORKER_ID: optionalString,
  INGEST_MAX_ATTEMPTS: int(1, 100).default(3),

  /** Operations: health, metrics, shutdown. */
  /**
   * Port of the health and metrics listener of processes without an API (worker, clusterer):
   * /health/live, /health/ready, /metrics. Unset = none; 0 = any free port. HTTP processes
   * (api, all-in-one) serve these on PORT.
   */
  METRICS_PORT: int(0, 65535).optional(),
  /**
   * On SIGTERM, how long readiness answers 503 before the process stops taking work, so a load
   * balancer stops sending requests first.
   */
  SHUTDOWN_GRACE_MS: int(0, 120_000).default(0),

  /** Authentication: API tokens, browser sessions, the first user (libs/auth). */
  /** With no user at all at start-up, create user "local" and print its password and token once. */
  AUTH_CREATE_FIRST_USER: booleanFlag.default(true),
  /** How long a browser login lasts. */
  AUTH_SESSION_HOURS: int(1, 8760).default(720),
  /** Send the session cookie only over HTTPS (set true when served behind TLS). */
  AUTH_COOKIE_SECURE: booleanFlag.default(false),
  /** Failed logins per user name and client address in 15 minutes before logins answer 429. */
  AUTH_LOGIN_MAX_FAILURES: int(1, 10_000).default(10),
  /** Failed logins per client address, over all user names (unknown ones too), in 15 minutes before 429. */
  AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 1_000_000).default(100),
  /** Password checks (scrypt, on the thread pool sharp and file I/O share) running at once. */
  AUTH_PASSWORD_CHECK_CONCURRENCY: int(1, 64).default(2),
  /** Logins waiting for a password check beyond those running; more answer 503 with Retry-After. */
  AUTH_PASSWORD_CHECK_QUEUE: int(0, 10_000).default(32),
});

export type AppConfig = z.infer<typeof configSchema>;
