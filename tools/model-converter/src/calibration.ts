/**
 * Calibration of a static int8 model: statistics of the float model's activations on real
 * inputs, stored in a small committed JSON file (tools/model-converter/calibration/) so that
 * `npm run models:convert` rebuilds the int8 model byte for byte without the photos.
 *
 * Three passes of the float model over the calibration inputs:
 *  1. the largest |value| of every channel between pairs of convolutions → equalisation
 *     exponents (equalize.ts);
 *  2. on the equalised model, min and max of every tensor to quantise;
 *  3. a histogram of each tensor over that range → its `1 − percentile` and `percentile` quantiles
 *     (bin edges), the range quantisation uses.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { findRepoRoot } from '@facecloud/config';
import { chooseExponents, equalizeGraph, findEqualizationPairs, type EqualizationExponents } from './equalize';
import type { OnnxGraph, OnnxNode } from './onnx-graph';
import { encodeOnnxModel } from './onnx-serialize';
import type { ModelSpec, QuantizationSpec } from './model-specs';
import { quantizeGraph, tensorsToCalibrate, type QuantizeReport, type TensorRange } from './quantize';
import { OPSET_VERSION } from './convert';

export const CALIBRATION_VERSION = 1;
const HISTOGRAM_BINS = 4096;

export interface CalibrationFile {
  version: number;
  /** The model id the data is for, and the SHA-256 of its source file. */
  model: string;
  sourceSha256: string;
  /** What the statistics were taken on. */
  inputs: { photos: number; faces: number; crops: number; note: string };
  percentile: number;
  activationType: 'uint8';
  /** Producer Conv name → per-channel exponents (scale 2^e). */
  equalization: EqualizationExponents;
  /** Tensor name → [min, max] on the equalised model. */
  ranges: Record<string, [number, number]>;
}

export const calibrationDir = (): string => join(findRepoRoot(), 'tools', 'model-converter', 'calibration');

export async function readCalibration(spec: ModelSpec, dir: string = calibrationDir()): Promise<CalibrationFile> {
  if (!spec.quantization) throw new Error(`${spec.id} is not a quantised model`);
  const path = join(dir, spec.quantization.calibrationFile);
  const calibration = JSON.parse(await readFile(path, 'utf8')) as CalibrationFile;
  if (calibration.version !== CALIBRATION_VERSION) throw new Error(`${path}: version ${calibration.version}, expected ${CALIBRATION_VERSION}`);
  if (calibration.model !== spec.id || calibration.sourceSha256 !== spec.sourceSha256) {
    throw new Error(`${path} is for ${calibration.model} (${calibration.sourceSha256}), not ${spec.id} (${spec.sourceSha256})`);
  }
  return calibration;
}

export function keptFloat(quantization: QuantizationSpec): (node: OnnxNode) => boolean {
  return (node) => !quantization.floatNodePrefixes.some((prefix) => node.name.startsWith(prefix));
}

/** Equalises and quantises a converted float graph in place with committed calibration data. */
export function applyQuantization(graph: OnnxGraph, quantization: QuantizationSpec, calibration: CalibrationFile): QuantizeReport & { equalized: number } {
  const equalized = equalizeGraph(graph, calibration.equalization);
  const ranges = Object.fromEntries(Object.entries(calibration.ranges).map(([name, [min, max]]) => [name, { min, max }]));
  const report = quantizeGraph(graph, { ranges, activationType: calibration.activationType, include: keptFloat(quantization) });
  return { ...report, equalized };
}

/**
 * Computes the calibration data. `floatGraph` builds a fresh converted float graph (each pass
 * changes one); `inputs` are model inputs (NHWC float batches, at most `batch` items each).
 */
export async function computeCalibration(
  spec: ModelSpec,
  floatGraph: () => OnnxGraph,
  inputs: readonly ort.Tensor[],
  about: CalibrationFile['inputs'],
): Promise<CalibrationFile> {
  const quantization = spec.quantization;
  if (!quantization) throw new Error(`${spec.id} is not a quantised model`);

  // 1. Per-channel largest |value| between convolution pairs, on the float model.
  const pairTensors = [...new Set(findEqualizationPairs(floatGraph()).flatMap((pair) => pair.tensors))];
  const channelMaxAbs: Record<string, Float64Array> = {};
  await forEachActivation(floatGraph(), pairTensors, inputs, (name, tensor) => {
    const [batch, channels, height, width] = tensor.dims.map(Number) as [number, number, number, number];
    const data = tensor.data as Float32Array;
    const maxAbs = (channelMaxAbs[name] ??= new Float64Array(channels));
    const plane = height * width;
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        let largest = maxAbs[c]!;
        for (let i = (n * channels + c) * plane, end = i + plane; i < end; i++) largest = Math.max(largest, Math.abs(data[i]!));
        maxAbs[c] = largest;
      }
    }
  });
  const equalization = chooseExponents(floatGraph(), channelMaxAbs);
  const equalized = (): OnnxGraph => {
    const graph = floatGraph();
    equalizeGraph(graph, equalization);
    return graph;
  };

  // 2. Full range of every tensor to quantise, on the equalised model.
  const names = tensorsToCalibrate(equalized(), keptFloat(quantization));
  const full = new Map<string, TensorRange>();
  await forEachActivation(equalized(), names, inputs, (name, tensor) => {
    const range = full.get(name) ?? { min: Infinity, max: -Infinity };
    for (const value of tensor.data as Float32Array) {
      if (value < range.min) range.min = value;
      if (value > range.max) range.max = value;
    }
    full.set(name, range);
  });

  // 3. Histograms over those ranges → the central `percentile` of the values.
  const histograms = new Map(names.map((name) => [name, new Float64Array(HISTOGRAM_BINS)]));
  await forEachActivation(equalized(), names, inputs, (name, tensor) => {
    const { min, max } = full.get(name)!;
    const width = (max - min) / HISTOGRAM_BINS || 1;
    const histogram = histograms.get(name)!;
    for (const value of tensor.data as Float32Array) histogram[Math.min(HISTOGRAM_BINS - 1, Math.floor((value - min) / width))]!++;
  });
  const ranges: Record<string, [number, number]> = {};
  for (const name of names) {
    const { min, max } = full.get(name)!;
    const [low, high] = centralRange(histograms.get(name)!, min, max, quantization.percentile);
    ranges[name] = [significant(low), significant(high)];
  }
  return {
    version: CALIBRATION_VERSION,
    model: spec.id,
    sourceSha256: spec.sourceSha256,
    inputs: about,
    percentile: quantization.percentile,
    activationType: 'uint8',
    equalization,
    ranges,
  };
}

/** Bin edges leaving at most `1 − percentile` of the histogram's values out on each side. */
function centralRange(histogram: Float64Array, min: number, max: number, percentile: number): [number, number] {
  const width = (max - min) / histogram.length;
  const total = histogram.reduce((sum, count) => sum + count, 0);
  const tail = total * (1 - percentile);
  let low = 0;
  for (let seen = 0; low < histogram.length - 1 && seen + histogram[low]! <= tail; low++) seen += histogram[low]!;
  let high = histogram.length - 1;
  for (let seen = 0; high > 0 && seen + histogram[high]! <= tail; high--) seen += histogram[high]!;
  return [min + low * width, min + (high + 1) * width];
}

/** Six significant digits: the JSON stays small and is read back exactly. */
function significant(value: number): number {
  return Number(value.toPrecision(6));
}

/** Runs `graph` with `names` as extra outputs over every input batch, handing each tensor to `visit`. */
async function forEachActivation(
  graph: OnnxGraph,
  names: readonly string[],
  inputs: readonly ort.Tensor[],
  visit: (name: string, tensor: ort.Tensor) => void,
): Promise<void> {
  // Every tensor calibrated here is a 4-D NCHW activation.
  graph.outputs.push(...names.map((name) => ({ name, dims: [0, 1, 2, 3].map((axis) => `${name}/${axis}`) })));
  const session = await ort.InferenceSession.create(encodeOnnxModel({ graph, opsetVersion: OPSET_VERSION, metadata: {} }), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'basic',
  });
  try {
    for (const input of inputs) {
      const outputs = await session.run({ [session.inputNames[0]!]: input }, [...names]);
      for (const name of names) visit(name, outputs[name]!);
    }
  } finally {
    await session.release();
  }
}
