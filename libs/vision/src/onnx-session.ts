import { access } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

export type ExecutionProvider = 'cuda' | 'cpu';

/** Minimal logger so the library does not depend on the application's logging stack. */
export interface VisionLogger {
  warn(message: string): void;
}

export interface OnnxRuntimeOptions {
  /** 'auto' tries the CUDA execution provider first and falls back to CPU. */
  provider: 'auto' | 'cuda' | 'cpu';
  /** Threads for one operator; 0 or undefined = onnxruntime's default (all cores). */
  intraOpThreads?: number;
  /** Told when 'auto' falls back to CPU. */
  logger?: VisionLogger;
}

export interface OnnxSessions {
  sessions: ort.InferenceSession[];
  executionProvider: ExecutionProvider;
}

/**
 * Remembers a failed CUDA attempt for the life of the process: onnxruntime prints an error
 * each time the CUDA provider library fails to load, and the answer will not change.
 */
let cudaUnavailable: Error | undefined;

/** Opens every model on the same execution provider, so a pipeline never runs half on GPU. */
export async function openOnnxSessions(modelPaths: readonly string[], runtime: OnnxRuntimeOptions): Promise<OnnxSessions> {
  await Promise.all(modelPaths.map(assertModelFileExists));

  if (runtime.provider === 'cpu' || (runtime.provider === 'auto' && cudaUnavailable)) {
    return { sessions: await openAll(modelPaths, 'cpu', runtime), executionProvider: 'cpu' };
  }
  try {
    return { sessions: await openAll(modelPaths, 'cuda', runtime), executionProvider: 'cuda' };
  } catch (error) {
    if (runtime.provider === 'cuda') {
      throw new Error(`CUDA execution provider requested but unavailable: ${errorMessage(error)}`, { cause: error });
    }
    cudaUnavailable = error instanceof Error ? error : new Error(String(error));
    runtime.logger?.warn(`onnxruntime: CUDA unavailable (${errorMessage(error)}), using CPU`);
    return { sessions: await openAll(modelPaths, 'cpu', runtime), executionProvider: 'cpu' };
  }
}

export async function closeOnnxSessions(sessions: readonly ort.InferenceSession[]): Promise<void> {
  await Promise.all(sessions.map((session) => session.release()));
}

/** Wraps a float32 buffer as a tensor; no copy. */
export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/**
 * Runs a single-input model and returns its outputs in the model's declared order, so callers
 * depend on output positions rather than on the converter's tensor names.
 */
export async function runByPosition(session: ort.InferenceSession, input: ort.Tensor): Promise<ort.Tensor[]> {
  const results = await session.run({ [session.inputNames[0]]: input });
  return session.outputNames.map((name) => results[name] as ort.Tensor);
}

async function openAll(
  modelPaths: readonly string[],
  provider: ExecutionProvider,
  runtime: OnnxRuntimeOptions,
): Promise<ort.InferenceSession[]> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(runtime.intraOpThreads ? { intraOpNumThreads: runtime.intraOpThreads } : {}),
    // Each session has its own intra-op thread pool, whose threads by default spin for a while
    // after every run. The pipeline runs four models in turn, so the idle pools' spinning took
    // the cores from the model running: one P-Net → R-Net → O-Net → MobileFaceNet round took
    // 211 ms with spinning and 92 ms without, on 2 cores (npm run bench -- models).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const path of modelPaths) sessions.push(await ort.InferenceSession.create(path, options));
    return sessions;
  } catch (error) {
    await closeOnnxSessions(sessions);
    throw error;
  }
}

async function assertModelFileExists(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`model file not found: ${path}`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
