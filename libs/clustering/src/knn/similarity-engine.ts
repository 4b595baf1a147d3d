import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { findRepoRoot } from '@facecloud/config';

/**
 * The k nearest candidates of many queries at once: the cost of the nearest-neighbour search.
 * It runs through onnxruntime (models/similarity.onnx: SGEMM, then the floors, the exclusion
 * and TopK inside the graph) because a JavaScript loop manages ≈ 1 GFLOP/s and MLAS ≈ 40–70
 * GFLOP/s on two cores, and because only m·k numbers come back instead of the m·c scores.
 */
export interface SimilarityEngine {
  nearest(request: NearestRequest): Promise<NearestResult>;
}

export interface NearestRequest {
  /** m and c rows of `dimension` floats (unit vectors: distance = 1 − dot product). */
  queries: Float32Array;
  candidates: Float32Array;
  dimension: number;
  /** Wanted per query; the result holds min(k, c). */
  k: number;
  /** distance(i, j) = max(1 − qᵢ·cⱼ, queryFloor[i], candidateFloor[j]); unset = 0 (plain cosine distance). */
  queryFloor?: Float32Array;
  candidateFloor?: Float32Array;
  /** Pairs with queryGroup[i] = candidateGroup[j] are excluded; unset = nothing excluded. */
  queryGroup?: Int32Array;
  candidateGroup?: Int32Array;
}

export interface NearestResult {
  /** Per query, `k` entries nearest first: candidate index and distance; distance ≥ EXCLUDED_DISTANCE marks an excluded pair (fewer than k left). */
  indices: Int32Array;
  distances: Float32Array;
  k: number;
}

/** The distance the model gives excluded pairs (see tools/similarity-model/generate.ts). */
export const EXCLUDED_DISTANCE = 4;

export interface SimilarityEngineOptions {
  /** Default: models/similarity.onnx in the repository (see `npm run models:similarity`). */
  modelPath?: string;
  /** onnxruntime intra-op threads; 0 = its default (one per core). */
  threads?: number;
}

export const SIMILARITY_MODEL_FILE = 'similarity.onnx';

export class OnnxSimilarityEngine implements SimilarityEngine {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(options: SimilarityEngineOptions = {}): Promise<OnnxSimilarityEngine> {
    const modelPath = options.modelPath ?? join(findRepoRoot(), 'models', SIMILARITY_MODEL_FILE);
    if (!existsSync(modelPath)) throw new Error(`similarity model not found at ${modelPath} (npm run models:similarity)`);
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.threads ?? 0,
      graphOptimizationLevel: 'all',
      // No spinning after a run: in one process with the ingest analyzers (the all-in-one
      // service), an idle spinning pool takes their cores (see libs/vision/src/onnx-session.ts).
      // Clustering alone runs as fast either way (100k faces: 12.3 s and 12.7 s).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new OnnxSimilarityEngine(session);
  }

  async nearest(request: NearestRequest): Promise<NearestResult> {
    const { dimension } = request;
    const m = request.queries.length / dimension;
    const c = request.candidates.length / dimension;
    const k = Math.min(request.k, c);
    if (m === 0 || k === 0) return { indices: new Int32Array(0), distances: new Float32Array(0), k };
    const result = await this.session.run({
      queries: new ort.Tensor('float32', request.queries, [m, dimension]),
      candidates: new ort.Tensor('float32', request.candidates, [c, dimension]),
      query_floor: new ort.Tensor('float32', request.queryFloor ?? new Float32Array(m), [m, 1]),
      candidate_floor: new ort.Tensor('float32', request.candidateFloor ?? new Float32Array(c), [1, c]),
      query_group: new ort.Tensor('int32', request.queryGroup ?? new Int32Array(m).fill(-1), [m, 1]),
      candidate_group: new ort.Tensor('int32', request.candidateGroup ?? new Int32Array(c).fill(-2), [1, c]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
    return { indices: result.indices.data as Int32Array, distances: result.distances.data as Float32Array, k };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

let shared: Promise<OnnxSimilarityEngine> | undefined;

/** One engine per process, created on first use (a session costs a few milliseconds and some memory). */
export function sharedSimilarityEngine(): Promise<SimilarityEngine> {
  shared ??= OnnxSimilarityEngine.create().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}
