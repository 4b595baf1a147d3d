/** Shared helpers for the model-converter tests. */
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { modelsDir } from '../../support/paths';
import { pseudoRandomImage } from '../../support/pseudo-random-image';
import { modelSpec, type ModelId } from './model-specs';
import { defaultCacheDir } from './paths';
import { loadSourceModels, type SourceModels } from './source-package';
import type { TensorData } from './litert-node';

export type { TensorData };

let sourceModels: Promise<SourceModels> | undefined;

/** The verified `.tflite` files, fetched through the same cache as `npm run models:convert`. */
export async function sourceTflite(id: ModelId): Promise<Uint8Array> {
  sourceModels ??= loadSourceModels(defaultCacheDir());
  return (await sourceModels).files.get(id)!;
}

export function committedModelPath(id: ModelId): string {
  return join(modelsDir, modelSpec(id).outputFile);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Deterministic values in [-1, 1) for synthetic weights. */
export function pseudoRandomValues(count: number, seed: number): Float32Array {
  const image = pseudoRandomImage([count], seed);
  return image.data.map((value) => value * 0.99);
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} differs from ${expected.length}`);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

const sessions = new Map<string, Promise<InferenceSession>>();

/** One ORT session per model file (or per in-memory model) for the whole test file. */
export function onnxSession(model: string | Uint8Array): Promise<InferenceSession> {
  if (typeof model !== 'string') return InferenceSession.create(model);
  let session = sessions.get(model);
  if (!session) {
    session = InferenceSession.create(model);
    sessions.set(model, session);
  }
  return session;
}

/** Runs a single-input model; outputs come back in the model's output order. */
export async function runOnnx(session: InferenceSession, input: TensorData): Promise<TensorData[]> {
  const feeds = { [session.inputNames[0]!]: new Tensor('float32', input.data, input.shape) };
  const results = await session.run(feeds);
  return session.outputNames.map((name) => {
    const tensor = results[name]!;
    return { data: tensor.data as Float32Array, shape: tensor.dims.map(Number) };
  });
}

/** Rows [start, start + count) of a batch (axis 0) as a new tensor. */
export function sliceBatch(tensor: TensorData, start: number, count: number): TensorData {
  const rowSize = elementCount(tensor.shape.slice(1));
  return {
    data: tensor.data.slice(start * rowSize, (start + count) * rowSize),
    shape: [count, ...tensor.shape.slice(1)],
  };
}

/** P-Net output size along one spatial axis: conv 3 → pool 2/2 (SAME) → conv 3 → conv 3. */
export function pnetOutputSize(inputSize: number): number {
  return Math.ceil((inputSize - 2) / 2) - 4;
}
