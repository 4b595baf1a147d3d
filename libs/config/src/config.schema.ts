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

/**
 * Every setting the processes read, with its default and allowed range. The README's
 * configuration table is written from this schema; keep them in step.
 */
export const configSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
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

  UPLOAD_MAX_FILE_BYTES: int(1, 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  UPLOAD_MAX_FILES: int(1, 1000).default(50),
  /** Decoder refuses images with more pixels than this (decompression bombs). */
  DECODE_MAX_INPUT_PIXELS: int(1, 1_000_000_000).default(100_000_000),
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
  CLUSTER_MIN_CLUSTER_SIZE: int(2, 1000).default(2),
  CLUSTER_MIN_SAMPLES: int(1, 1000).default(2),

  WORKER_POLL_INTERVAL_MS: int(10, 60_000).default(1000),
  /** Photos a worker processes together (R-Net, O-Net and embeddings batched across them). */
  WORKER_BATCH_SIZE: int(1, 256).default(8),
  /** Recorded with each processed photo; defaults to host name and process id. */
  WORKER_ID: optionalString,
  INGEST_MAX_ATTEMPTS: int(1, 100).default(3),
});

export type AppConfig = z.infer<typeof configSchema>;
