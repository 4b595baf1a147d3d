/** The int8 passes: channel equalisation, QDQ quantisation, and what onnxruntime makes of them. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { pseudoRandomImage } from '../../support/pseudo-random-image';
import { keptFloat, readCalibration } from './calibration';
import { convertTflite } from './convert';
import { equalizeGraph, findEqualizationPairs } from './equalize';
import { modelSpec } from './model-specs';
import { attr, type OnnxGraph } from './onnx-graph';
import { encodeOnnxModel } from './onnx-serialize';
import { quantizeGraph, tensorsToCalibrate } from './quantize';
import { readTfliteModel } from './tflite-reader';
import { committedModelPath, maxAbsDiff, onnxSession, pseudoRandomValues, runOnnx, sourceTflite } from './test-helpers';

const spec = modelSpec('mobilefacenet-int8');

async function floatGraph(): Promise<OnnxGraph> {
  return convertTflite(readTfliteModel(await sourceTflite(spec.id)), { dynamicBatch: true }).model.graph;
}

const encode = (graph: OnnxGraph): Uint8Array => encodeOnnxModel({ graph, opsetVersion: 13, metadata: {} });

test('channel equalisation leaves the float function unchanged', async () => {
  const graph = await floatGraph();
  const pairs = findEqualizationPairs(graph);
  assert.equal(pairs.length, 36);
  // The 15 blocks' expansion → depthwise, the stem → depthwise, the last 1×1 → global depthwise.
  assert.equal(pairs.filter((pair) => pair.depthwiseConsumer).length, 17);
  assert.equal(equalizeGraph(graph, (await readCalibration(spec)).equalization), 36);
  const input = pseudoRandomImage([2, 112, 112, 3], 11);
  const [reference] = await runOnnx(await onnxSession(encode(await floatGraph())), input);
  const [equalized] = await runOnnx(await onnxSession(encode(graph)), input);
  // Power-of-two scales are exact; what is left is the order of float additions (norm ≈ 20).
  assert.ok(maxAbsDiff(equalized!.data, reference!.data) < 1e-4);
});

test('the calibration file has a range for every activation the quantiser needs, and no other', async () => {
  const calibration = await readCalibration(spec);
  const graph = await floatGraph();
  equalizeGraph(graph, calibration.equalization);
  const needed = tensorsToCalibrate(graph, keptFloat(spec.quantization!));
  assert.deepEqual(new Set(Object.keys(calibration.ranges)), new Set(needed));
  for (const [name, [min, max]] of Object.entries(calibration.ranges)) assert.ok(min <= max && Number.isFinite(min + max), name);
});

test('onnxruntime runs the int8 model on its int8 kernels: every quantised Conv and Add is fused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'int8-optimized-'));
  try {
    const optimized = join(dir, 'optimized.onnx');
    // 'extended': the fusions, without the machine-specific layout of 'all'.
    const session = await InferenceSession.create(committedModelPath(spec.id), { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized });
    await session.release();
    const counts = new Map<string, number>();
    for (const node of onnx.ModelProto.decode(await readFile(optimized)).graph?.node ?? []) counts.set(node.opType!, (counts.get(node.opType!) ?? 0) + 1);
    assert.equal(counts.get('QLinearConv'), 112);
    assert.equal(counts.get('QLinearAdd'), 43);
    // Left: the float stem's output going in, the last convolution's coming out; no Relu (fused).
    assert.equal(counts.get('QuantizeLinear'), 1);
    assert.equal(counts.get('DequantizeLinear'), 1);
    assert.equal(counts.get('Relu'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('quantising a small graph: int8 weights per channel, int32 bias, Relu outputs from zero, result close to float', async () => {
  // x → Conv 3×3 (4 → 4) → Relu → Conv 1×1 (4 → 4) → Add(x) → y, NCHW.
  const graph: OnnxGraph = {
    name: 'small',
    inputs: [{ name: 'x', dims: [1, 4, 6, 6] }],
    outputs: [{ name: 'y', dims: [1, 4, 6, 6] }],
    initializers: [
      { name: 'w1', dims: [4, 4, 3, 3], data: pseudoRandomValues(144, 1) },
      { name: 'b1', dims: [4], data: pseudoRandomValues(4, 2) },
      { name: 'w2', dims: [4, 4, 1, 1], data: pseudoRandomValues(16, 3).map((v, i) => v * (i % 4 === 0 ? 8 : 1)) },
      { name: 'b2', dims: [4], data: pseudoRandomValues(4, 4) },
    ],
    nodes: [
      { opType: 'Conv', name: 'c1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'Relu', name: 'r1', inputs: ['c1'], outputs: ['r1'], attributes: {} },
      { opType: 'Conv', name: 'c2', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attributes: { kernel_shape: attr.ints([1, 1]) } },
      { opType: 'Add', name: 'y', inputs: ['c2', 'x'], outputs: ['y'], attributes: {} },
    ],
  };
  const input = pseudoRandomImage([1, 4, 6, 6], 5);
  const [reference] = await runOnnx(await onnxSession(encode(structuredClone(graph))), input);
  // Calibration on the input itself: the ranges of the intermediate values.
  const probe = structuredClone(graph);
  probe.outputs.push({ name: 'r1', dims: [1, 4, 6, 6] }, { name: 'c2', dims: [1, 4, 6, 6] });
  const [, r1, c2] = await runOnnx(await InferenceSession.create(encode(probe)), input);
  const range = (data: Float32Array) => ({ min: Math.min(...data), max: Math.max(...data) });

  const quantized = structuredClone(graph);
  assert.deepEqual(new Set(tensorsToCalibrate(quantized)), new Set(['x', 'r1', 'c2'])); // the Add's output is the graph output
  const ranges = { x: range(input.data), r1: range(r1!.data), c2: range(c2!.data) };
  const report = quantizeGraph(quantized, { ranges });
  assert.deepEqual(report, { conv: 2, add: 1, tensors: 3 });
  const initializer = (name: string) => quantized.initializers.find((candidate) => candidate.name === name)!;
  assert.ok(initializer('w1/quantized').data instanceof Int8Array);
  assert.deepEqual(initializer('w1/scale').dims, [4]);
  assert.ok(initializer('b1/quantized').data instanceof Int32Array);
  const biasScale = (initializer('x/scale').data as Float32Array)[0]! * (initializer('w1/scale').data as Float32Array)[0]!;
  assert.equal((initializer('b1/quantized').data as Int32Array)[0], Math.round((graph.initializers[1]!.data as Float32Array)[0]! / biasScale));
  assert.equal((initializer('r1/zero_point').data as Uint8Array)[0], 0); // so onnxruntime can drop the Relu
  assert.equal(quantized.nodes.filter((node) => node.opType === 'QuantizeLinear').length, 3);

  const [actual] = await runOnnx(await InferenceSession.create(encode(quantized)), input);
  const step = Math.max(...Object.values(ranges).map(({ min, max }) => (Math.max(max, 0) - Math.min(min, 0)) / 255));
  assert.ok(maxAbsDiff(actual!.data, reference!.data) < 3 * step, `max abs diff ${maxAbsDiff(actual!.data, reference!.data)}`);
  assert.ok(maxAbsDiff(actual!.data, reference!.data) > 0, 'quantised, so not exact');
});
