import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ALIGNED_FACE_SIZE } from './align';
import { assertRgbImage, type RgbImage } from './image';
import {
  closeOnnxSessions,
  float32Tensor,
  openOnnxSessions,
  runByPosition,
  type ExecutionProvider,
  type OnnxRuntimeOptions,
} from './onnx-session';
import { l2NormalizeInPlace } from './vector';

/** Turns aligned face crops into identity vectors; same person ⇒ high cosine similarity. */
export interface FaceEmbedder {
  /** Identifies the model (and its precision); stored with every face. */
  readonly modelName: string;
  /**
   * Models whose embeddings are comparable share a family: the float and int8 MobileFaceNet
   * (same weights; cosine ≥ 0.97 between their embeddings of a face). Different families are not.
   */
  readonly family: string;
  readonly dimension: number;
  /** Side of the square aligned crop the model takes. */
  readonly inputSize: number;
  /** Pixel normalisation the model was trained with: (value − mean) / scale, per channel. */
  readonly normalization: { mean: number; scale: number };
  /** One L2-normalised embedding per face, computed in batched runs. */
  embed(faces: RgbImage[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export const MOBILEFACENET_MODEL_FILE = 'mobilefacenet.onnx';
/** The same network quantised to int8 (tools/model-converter, docs/models.md): faster on CPU. */
export const MOBILEFACENET_INT8_MODEL_FILE = 'mobilefacenet-int8.onnx';
export const MOBILEFACENET_FAMILY = 'mobilefacenet-192';

/** float32: the converted model; int8: its quantised form. */
export type EmbeddingPrecision = 'float32' | 'int8';

/**
 * Faces per network run. Small runs keep MobileFaceNet's activations in the CPU caches: per
 * crop, 3.8 ms in runs of 8 and 4.6 ms in runs of 64 or more on 2 cores (5.8 vs 7.8 ms on one).
 */
const MAX_BATCH = 8;

/**
 * MobileFaceNet (sirius-ai weights): 112×112 RGB aligned on the ArcFace template, NHWC,
 * normalised to (value − 127.5) / 128; 192-d output, normalised here (the model does not).
 * In float32 (modelName mobilefacenet-192) or int8 (mobilefacenet-192-int8).
 */
export class MobileFaceNetEmbedder implements FaceEmbedder {
  readonly family = MOBILEFACENET_FAMILY;
  readonly modelName: string;
  readonly dimension = 192;
  readonly inputSize = ALIGNED_FACE_SIZE;
  readonly normalization = { mean: 127.5, scale: 128 };

  private constructor(
    private readonly session: InferenceSession,
    readonly executionProvider: ExecutionProvider,
    readonly precision: EmbeddingPrecision,
  ) {
    this.modelName = precision === 'int8' ? `${MOBILEFACENET_FAMILY}-int8` : MOBILEFACENET_FAMILY;
  }

  static async create(modelsDir: string, runtime: OnnxRuntimeOptions, precision: EmbeddingPrecision = 'float32'): Promise<MobileFaceNetEmbedder> {
    const file = precision === 'int8' ? MOBILEFACENET_INT8_MODEL_FILE : MOBILEFACENET_MODEL_FILE;
    const { sessions, executionProvider } = await openOnnxSessions([join(modelsDir, file)], runtime);
    return new MobileFaceNetEmbedder(sessions[0], executionProvider, precision);
  }

  async embed(faces: RgbImage[]): Promise<Float32Array[]> {
    for (const face of faces) {
      assertRgbImage(face);
      if (face.width !== this.inputSize || face.height !== this.inputSize) {
        throw new RangeError(`faces must be aligned ${this.inputSize}x${this.inputSize} crops, got ${face.width}x${face.height}`);
      }
    }
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < faces.length; start += MAX_BATCH) {
      embeddings.push(...(await this.embedBatch(faces.slice(start, start + MAX_BATCH))));
    }
    return embeddings;
  }

  async close(): Promise<void> {
    await closeOnnxSessions([this.session]);
  }

  private async embedBatch(faces: readonly RgbImage[]): Promise<Float32Array[]> {
    if (faces.length === 0) return [];
    const itemLength = this.inputSize * this.inputSize * 3;
    const input = new Float32Array(faces.length * itemLength);
    faces.forEach((face, index) => writeNormalized(face.data, input, index * itemLength, this.normalization));

    const [output] = await runByPosition(this.session, float32Tensor(input, [faces.length, this.inputSize, this.inputSize, 3]));
    if (output.dims[1] !== this.dimension) {
      throw new Error(`${this.modelName}: expected ${this.dimension}-d output, model gives ${output.dims[1]}`);
    }
    const data = output.data as Float32Array;
    return faces.map((_, index) =>
      l2NormalizeInPlace(data.slice(index * this.dimension, (index + 1) * this.dimension)),
    );
  }
}

/** NHWC copy with (value − mean) / scale (no transposition: this model was trained in TensorFlow). */
function writeNormalized(pixels: Buffer, out: Float32Array, offset: number, { mean, scale }: { mean: number; scale: number }): void {
  for (let i = 0; i < pixels.length; i++) out[offset + i] = (pixels[i] - mean) / scale;
}
