/**
 * FaceAnalyzer on several worker threads, each with its own onnxruntime sessions.
 *
 * Why: onnxruntime-node runs a model on the calling JavaScript thread, so in one analyzer the
 * JavaScript stages (pyramid, crops, alignment) and the inference never overlap, and a second
 * intra-op thread helps small models little. Two analyzers with one onnxruntime thread each
 * keep both cores of a 2-core machine busy: one thread's JavaScript runs while the other's
 * model does (npm run bench -- ingest compares the two).
 *
 * analyzeMany() splits its photos into small chunks that idle threads take in turn, so a
 * thread that drew the group photos does not hold up the others. A thread that dies (it
 * should not) fails its chunk's photos with an Error and is replaced at once; when none can be
 * started, work fails with the reason rather than wait.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImageDecodeError } from './decode';
import { decodeMemoryBudgetState } from './decode-memory';
import type { FaceAnalyzerOptions, PhotoAnalysis, PhotoAnalyzer } from './face-analyzer';
import type { ExecutionProvider } from './onnx-session';
import type { VisionStage } from './stage-timer';

export interface FaceAnalyzerPoolOptions extends FaceAnalyzerOptions {
  /**
   * Analyzer threads. Default: one per core, at most 4, on CPU; one when the models run on
   * CUDA. Each runs onnxruntime with `runtime.intraOpThreads`, by default the cores shared out
   * among the threads (1 each on 2 cores, 4 each on 16).
   */
  threads?: number;
}

/** The analyzer options a thread receives: functions cannot cross threads, so the pool relays logs and stage times. */
export type ThreadOptions = Omit<FaceAnalyzerOptions, 'stageTimer' | 'runtime'> & {
  runtime: Omit<FaceAnalyzerOptions['runtime'], 'logger'>;
  /** The process's decoder-memory budget, shared (not copied) so that all threads count against one. */
  decodeMemoryBudget: SharedArrayBuffer;
};

interface SerializedError {
  name: string;
  message: string;
}

/** Pool → thread. */
export type PoolRequest = { type: 'analyze'; photos: Uint8Array[] } | { type: 'close' };

/** Thread → pool. */
export type ThreadMessage =
  | { type: 'ready'; embedderName: string; executionProvider: ExecutionProvider }
  | { type: 'failed'; error: SerializedError }
  | { type: 'warn'; message: string }
  | {
      type: 'result';
      results?: Array<{ analysis: PhotoAnalysis } | { error: SerializedError }>;
      error?: SerializedError;
      stages: Array<[VisionStage, number]>;
    };

interface Chunk {
  photos: readonly Buffer[];
  resolve(results: (PhotoAnalysis | Error)[]): void;
}

interface AnalyzerThread {
  worker: Worker;
  busy: boolean;
  /** The chunk it works on, failed with an Error if the thread dies. */
  current?: Chunk;
}

const THREAD_ENTRY = join(__dirname, 'analyzer-thread.js');

/** The default thread count: one per core, at most 4 (more threads mostly add memory). */
function defaultAnalyzerThreads(): number {
  return Math.max(1, Math.min(4, cpus().length));
}

export class FaceAnalyzerPool implements PhotoAnalyzer {
  private readonly threads: AnalyzerThread[] = [];
  private readonly queue: Chunk[] = [];
  private closed = false;
  /** Replacement threads being started. */
  private starting = 0;

  private constructor(
    private readonly options: FaceAnalyzerPoolOptions,
    private readonly threadOptions: ThreadOptions,
    readonly embedderName: string,
    readonly executionProvider: ExecutionProvider,
  ) {}

  /** Starts the threads; fails (with every thread stopped) when an analyzer cannot be created. */
  static async create(options: FaceAnalyzerPoolOptions): Promise<FaceAnalyzerPool> {
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    const { stageTimer: _stageTimer, threads: _threads, ...rest } = options;
    const { logger: _logger, ...runtime } = options.runtime;
    const planned = options.threads ?? defaultAnalyzerThreads();
    const intraOpThreads = runtime.intraOpThreads ?? Math.max(1, Math.floor(cpus().length / planned));
    const threadOptions: ThreadOptions = { ...rest, runtime: { ...runtime, intraOpThreads }, decodeMemoryBudget: decodeMemoryBudgetState() };
    const first = await startThread(threadOptions, options);
    const pool = new FaceAnalyzerPool(options, threadOptions, first.ready.embedderName, first.ready.executionProvider);
    pool.adopt(first.worker);
    // One GPU serves one analyzer well; on CPU each core gets its own.
    const threads = options.threads ?? (first.ready.executionProvider === 'cuda' ? 1 : planned);
    try {
      const others = await Promise.all(Array.from({ length: threads - 1 }, () => startThread(threadOptions, options)));
      for (const other of others) pool.adopt(other.worker);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Threads running now (fewer while one restarts after a crash). */
  get parallelism(): number {
    return this.threads.length;
  }

  async analyzeMany(photos: readonly Buffer[]): Promise<(PhotoAnalysis | Error)[]> {
    if (this.closed) throw new Error('analyzer pool is closed');
    if (photos.length === 0) return [];
    // Small chunks balance the threads; each still batches its photos' faces through the models.
    const chunkSize = Math.max(1, Math.ceil(photos.length / (2 * Math.max(1, this.threads.length))));
    const chunks: Promise<(PhotoAnalysis | Error)[]>[] = [];
    for (let start = 0; start < photos.length; start += chunkSize) {
      const chunkPhotos = photos.slice(start, start + chunkSize);
      chunks.push(new Promise((resolve) => this.queue.push({ photos: chunkPhotos, resolve })));
    }
    this.dispatch();
    return (await Promise.all(chunks)).flat();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const chunk of this.queue.splice(0)) chunk.resolve(chunk.photos.map(() => new Error('analyzer pool closed')));
    await Promise.all(
      this.threads.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage({ type: 'close' } satisfies PoolRequest);
          }),
      ),
    );
  }

  /** Gives queued chunks to idle threads, replacing threads that died. */
  private dispatch(): void {
    // Every thread gone (and none starting): try to start one, rather than leave work waiting.
    if (this.threads.length === 0 && this.starting === 0 && this.queue.length > 0 && !this.closed) this.startReplacement();
    for (const thread of this.threads) {
      if (thread.busy || this.queue.length === 0) continue;
      const chunk = this.queue.shift()!;
      thread.busy = true;
      thread.current = chunk;
      const copies = chunk.photos.map((photo) => new Uint8Array(photo));
      thread.worker.postMessage({ type: 'analyze', photos: copies } satisfies PoolRequest);
    }
  }

  private adopt(worker: Worker): void {
    const thread: AnalyzerThread = { worker, busy: false };
    this.threads.push(thread);
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'warn') this.options.runtime.logger?.warn(message.message);
      if (message.type !== 'result') return;
      for (const [stage, milliseconds] of message.stages) this.options.stageTimer?.record(stage, milliseconds);
      const chunk = thread.current!;
      thread.busy = false;
      thread.current = undefined;
      chunk.resolve(
        message.results
          ? message.results.map((result) => ('error' in result ? deserializeError(result.error) : revive(result.analysis)))
          : chunk.photos.map(() => deserializeError(message.error!)),
      );
      this.dispatch();
    });
    worker.on('error', (error) => this.retire(thread, error));
    worker.on('exit', (code) => this.retire(thread, new Error(`analyzer thread exited with code ${code}`)));
  }

  /** A thread is gone: fail its chunk, start a replacement (unless closing). */
  private retire(thread: AnalyzerThread, reason: Error): void {
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    thread.current?.resolve(thread.current.photos.map(() => new Error(`photo analysis failed: ${reason.message}`)));
    if (this.closed) return;
    this.options.runtime.logger?.warn(`analyzer thread stopped (${reason.message}); starting another`);
    this.startReplacement();
  }

  /** Starts a thread in the background; if it cannot start and no thread is left, queued work fails instead of waiting. */
  private startReplacement(): void {
    this.starting++;
    startThread(this.threadOptions, this.options)
      .then(
        ({ worker }) => {
          if (this.closed) void worker.terminate();
          else this.adopt(worker);
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.options.runtime.logger?.warn(`could not start an analyzer thread: ${message}`);
          if (this.threads.length === 0 && this.starting === 1) {
            for (const chunk of this.queue.splice(0)) chunk.resolve(chunk.photos.map(() => new Error(`no analyzer thread running: ${message}`)));
          }
        },
      )
      .finally(() => {
        this.starting--;
        this.dispatch();
      });
  }
}

/** Starts one thread and waits until its analyzer is ready. */
function startThread(
  threadOptions: ThreadOptions,
  options: FaceAnalyzerPoolOptions,
): Promise<{ worker: Worker; ready: Extract<ThreadMessage, { type: 'ready' }> }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(THREAD_ENTRY, { workerData: threadOptions });
    const onMessage = (message: ThreadMessage) => {
      if (message.type === 'warn') options.runtime.logger?.warn(message.message);
      if (message.type === 'ready') {
        cleanUp();
        resolve({ worker, ready: message });
      }
      if (message.type === 'failed') {
        cleanUp();
        void worker.terminate();
        reject(deserializeError(message.error));
      }
    };
    const onExit = (code: number) => {
      cleanUp();
      reject(new Error(`analyzer thread exited with code ${code} while starting`));
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    const cleanUp = () => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onError);
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onError);
  });
}

function deserializeError({ name, message }: SerializedError): Error {
  if (name === 'ImageDecodeError') return new ImageDecodeError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Structured clone turns Buffers into plain Uint8Arrays; the analysis promises Buffers. */
function revive(analysis: PhotoAnalysis): PhotoAnalysis {
  for (const face of analysis.faces) {
    const jpeg = face.thumbnailJpeg as Uint8Array;
    face.thumbnailJpeg = Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  }
  return analysis;
}
