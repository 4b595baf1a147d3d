/**
 * Converter unit tests on small synthetic graphs, checked against plain NHWC reference
 * implementations, so that a wrong filter layout, padding side or flatten order shows up on
 * its own rather than as a slightly-off detector.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertTflite, UnsupportedOperatorError, type ConvertOptions } from './convert';
import { encodeOnnxModel, readBoundaryShapes } from './onnx-serialize';
import type { Conv2DOptions, DepthwiseConv2DOptions, TfliteModel } from './tflite-reader';
import { maxAbsDiff, onnxSession, pseudoRandomValues, runOnnx, type TensorData } from './test-helpers';
import { pseudoRandomImage } from '../../support/pseudo-random-image';
import { referenceConv, referenceFullyConnected, SyntheticModel, type ConvReferenceOptions } from './synthetic-model';

const TOLERANCE = 1e-5;

async function runConverted(model: TfliteModel, input: TensorData, options: ConvertOptions = {}): Promise<TensorData[]> {
  const session = await onnxSession(encodeOnnxModel(convertTflite(model, options).model));
  return runOnnx(session, input);
}

function assertClose(actual: TensorData, expected: TensorData): void {
  assert.deepEqual(actual.shape, expected.shape);
  const diff = maxAbsDiff(actual.data, expected.data);
  assert.ok(diff <= TOLERANCE, `max abs diff ${diff} exceeds ${TOLERANCE}`);
}

function convOptions(geometry: ConvReferenceOptions): Conv2DOptions {
  return { kind: 'conv2d', activation: 'NONE', ...geometry };
}

const convCases: Array<{ name: string; input: number[]; filter: number[]; geometry: ConvReferenceOptions }> = [
  {
    name: 'non-square input, 3×2 kernel, stride 2×1, SAME',
    input: [2, 7, 5, 3],
    filter: [4, 3, 2, 3],
    geometry: { strideH: 2, strideW: 1, dilationH: 1, dilationW: 1, padding: 'SAME' },
  },
  {
    name: 'even input, stride 2, SAME (padding falls at the end)',
    input: [1, 6, 8, 2],
    filter: [3, 3, 3, 2],
    geometry: { strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padding: 'SAME' },
  },
  {
    name: 'VALID with dilation 2×1',
    input: [1, 9, 6, 2],
    filter: [2, 2, 3, 2],
    geometry: { strideH: 1, strideW: 1, dilationH: 2, dilationW: 1, padding: 'VALID' },
  },
];

for (const [caseIndex, { name, input: inputShape, filter: filterShape, geometry }] of convCases.entries()) {
  test(`CONV_2D matches an NHWC reference: ${name}`, async () => {
    const graph = new SyntheticModel();
    const filter = { data: pseudoRandomValues(filterShape.reduce((a, b) => a * b), 10 + caseIndex), shape: filterShape };
    const bias = pseudoRandomValues(filterShape[0]!, 20 + caseIndex);
    const input = pseudoRandomImage(inputShape, 30 + caseIndex);
    const expected = referenceConv(input, filter, bias, geometry);
    const x = graph.input('x', inputShape);
    const weights = graph.constant('w', filterShape, filter.data);
    const biasTensor = graph.constant('b', [bias.length], bias);
    const y = graph.op('CONV_2D', [x, weights, biasTensor], graph.activation('y', expected.shape), convOptions(geometry));
    const [actual] = await runConverted(graph.build([y]), input);
    assertClose(actual!, expected);
  });
}

test('DEPTHWISE_CONV_2D with depth multiplier 2 matches an NHWC reference', async () => {
  const graph = new SyntheticModel();
  const geometry: ConvReferenceOptions = { strideH: 1, strideW: 2, dilationH: 1, dilationW: 1, padding: 'SAME' };
  const filter = { data: pseudoRandomValues(3 * 3 * 6, 40), shape: [1, 3, 3, 6] };
  const bias = pseudoRandomValues(6, 41);
  const input = pseudoRandomImage([2, 5, 7, 3], 42);
  const expected = referenceConv(input, filter, bias, geometry, true);
  const options: DepthwiseConv2DOptions = { kind: 'depthwiseConv2d', activation: 'NONE', depthMultiplier: 2, ...geometry };
  const x = graph.input('x', input.shape);
  const weights = graph.constant('w', filter.shape, filter.data);
  const biasTensor = graph.constant('b', [6], bias);
  const y = graph.op('DEPTHWISE_CONV_2D', [x, weights, biasTensor], graph.activation('y', expected.shape), options);
  const [actual] = await runConverted(graph.build([y]), input);
  assertClose(actual!, expected);
});

test('FULLY_CONNECTED flattens a 4-D input in NHWC order', async () => {
  const graph = new SyntheticModel();
  const input = pseudoRandomImage([2, 3, 2, 4], 50);
  const weights = { data: pseudoRandomValues(5 * 24, 51), shape: [5, 24] };
  const bias = pseudoRandomValues(5, 52);
  const expected = referenceFullyConnected(input, weights, bias);
  const x = graph.input('x', input.shape);
  const y = graph.op(
    'FULLY_CONNECTED',
    [x, graph.constant('w', weights.shape, weights.data), graph.constant('b', [5], bias)],
    graph.activation('y', expected.shape),
    { kind: 'fullyConnected', activation: 'NONE', weightsFormat: 0, keepNumDims: false },
  );
  const [actual] = await runConverted(graph.build([y]), input);
  assertClose(actual!, expected);
});

test('elementwise constants broadcast against NHWC activations as in TFLite', async () => {
  // y = (x * perChannel) - perPixel, with perChannel [C] and perPixel [1, H, W, C].
  const graph = new SyntheticModel();
  const input = pseudoRandomImage([2, 3, 4, 5], 60);
  const perChannel = pseudoRandomValues(5, 61);
  const perPixel = pseudoRandomValues(3 * 4 * 5, 62);
  const expected = input.data.map((value, i) => value * perChannel[i % 5]! - perPixel[i % 60]!);
  const arithmetic = { kind: 'arithmetic', activation: 'NONE' } as const;
  const x = graph.input('x', input.shape);
  const scaled = graph.op('MUL', [graph.constant('c', [5], perChannel), x], graph.activation('scaled', input.shape), arithmetic);
  const y = graph.op('SUB', [scaled, graph.constant('p', [1, 3, 4, 5], perPixel)], graph.activation('y', input.shape), arithmetic);
  const [actual] = await runConverted(graph.build([y]), input);
  assertClose(actual!, { data: expected, shape: input.shape });
});

test('reductions map NHWC axes, with and without keep_dims', async () => {
  const graph = new SyntheticModel();
  const input = pseudoRandomImage([2, 3, 4, 5], 70);
  const x = graph.input('x', input.shape);
  const channelMax = graph.op(
    'REDUCE_MAX',
    [x, graph.constant('axis', [1], Int32Array.of(-1))],
    graph.activation('channel_max', [2, 3, 4, 1]),
    { kind: 'reducer', keepDims: true },
  );
  const spatialSum = graph.op(
    'SUM',
    [x, graph.constant('axes', [2], Int32Array.of(1, 2))],
    graph.activation('spatial_sum', [2, 5]),
    { kind: 'reducer', keepDims: false },
  );
  const [actualMax, actualSum] = await runConverted(graph.build([channelMax, spatialSum]), input);

  const expectedMax = new Float32Array(2 * 3 * 4);
  const expectedSum = new Float32Array(2 * 5);
  expectedMax.fill(-Infinity);
  input.data.forEach((value, i) => {
    const channel = i % 5;
    const pixel = Math.floor(i / 5);
    const batch = Math.floor(i / 60);
    expectedMax[pixel] = Math.max(expectedMax[pixel]!, value);
    expectedSum[batch * 5 + channel] += value;
  });
  assertClose(actualMax!, { data: expectedMax, shape: [2, 3, 4, 1] });
  assertClose(actualSum!, { data: expectedSum, shape: [2, 5] });
});

test('an unsupported operator fails with an error naming it', () => {
  const graph = new SyntheticModel();
  const x = graph.input('x', [1, 4]);
  const y = graph.op('SQUARE', [x], graph.activation('y', [1, 4]));
  assert.throws(
    () => convertTflite(graph.build([y])),
    (error: unknown) =>
      error instanceof UnsupportedOperatorError && error.opName === 'SQUARE' && /unsupported TFLite operator SQUARE/.test(error.message),
  );
});

test('graph boundary: NHWC names kept, batch and (optionally) spatial dims symbolic', () => {
  const graph = new SyntheticModel();
  const x = graph.input('image', [1, 8, 6, 2]);
  const relu = graph.op('RELU', [x], graph.activation('features', [1, 8, 6, 2]));
  const fixed = readBoundaryShapes(encodeOnnxModel(convertTflite(graph.build([relu]), { dynamicBatch: false }).model));
  assert.deepEqual(fixed.inputs, [{ name: 'image', dims: [1, 8, 6, 2] }]);
  assert.deepEqual(fixed.outputs, [{ name: 'features', dims: [1, 8, 6, 2] }]);

  const dynamic = readBoundaryShapes(encodeOnnxModel(convertTflite(graph.build([relu]), { dynamicSpatial: true }).model));
  assert.deepEqual(dynamic.inputs, [{ name: 'image', dims: ['batch', 'height', 'width', 2] }]);
  assert.deepEqual(dynamic.outputs, [{ name: 'features', dims: ['batch', 'out_height', 'out_width', 2] }]);
});

/** Relu(x) + alpha * -Relu(-x), the form TOCO leaves for PReLU in MTCNN. */
function decomposedPrelu(graph: SyntheticModel, x: number, alpha: Float32Array, shape: number[], name: string): number {
  const arithmetic = { kind: 'arithmetic', activation: 'NONE' } as const;
  const positive = graph.op('RELU', [x], graph.activation(`${name}_pos`, shape));
  const negated = graph.op('NEG', [x], graph.activation(`${name}_neg`, shape));
  const negativeRelu = graph.op('RELU', [negated], graph.activation(`${name}_neg_relu`, shape));
  const negativePart = graph.op('NEG', [negativeRelu], graph.activation(`${name}_neg_part`, shape));
  const slope = graph.constant(`${name}_alpha`, [alpha.length], alpha);
  const scaled = graph.op('MUL', [slope, negativePart], graph.activation(`${name}_scaled`, shape), arithmetic);
  return graph.op('ADD', [positive, scaled], graph.activation(name, shape), arithmetic);
}

test('decomposed PReLU (both forms) and softmax are fused into PRelu and Softmax', async () => {
  const graph = new SyntheticModel();
  const input = pseudoRandomImage([2, 3, 3, 4], 80);
  const alpha = pseudoRandomValues(4, 81);
  const shape = input.shape;
  const arithmetic = { kind: 'arithmetic', activation: 'NONE' } as const;
  const x = graph.input('x', shape);
  const prelu1 = decomposedPrelu(graph, x, alpha, shape, 'prelu1');
  // MobileFaceNet form: Relu(y) + (alpha / 2) * (y - |y|)
  const positive2 = graph.op('RELU', [prelu1], graph.activation('pos2', shape));
  const absolute = graph.op('ABS', [prelu1], graph.activation('abs', shape));
  const difference = graph.op('SUB', [prelu1, absolute], graph.activation('diff', shape), arithmetic);
  const halfAlpha = graph.constant('half_alpha', [4], alpha.map((value) => value / 2));
  const scaled2 = graph.op('MUL', [halfAlpha, difference], graph.activation('scaled2', shape), arithmetic);
  const prelu2 = graph.op('ADD', [positive2, scaled2], graph.activation('prelu2', shape), arithmetic);
  // softmax over channels
  const reducer = { kind: 'reducer', keepDims: true } as const;
  const max = graph.op('REDUCE_MAX', [prelu2, graph.constant('max_axis', [], Int32Array.of(3))], graph.activation('max', [2, 3, 3, 1]), reducer);
  const shifted = graph.op('SUB', [prelu2, max], graph.activation('shifted', shape), arithmetic);
  const exp = graph.op('EXP', [shifted], graph.activation('exp', shape));
  const sum = graph.op('SUM', [exp, graph.constant('sum_axis', [], Int32Array.of(3))], graph.activation('sum', [2, 3, 3, 1]), reducer);
  const probabilities = graph.op('DIV', [exp, sum], graph.activation('prob', shape), arithmetic);
  const model = graph.build([probabilities]);

  const fused = convertTflite(model, { lowerPrelu: false });
  assert.deepEqual(fused.fusion, { prelu: 2, softmax: 1 });
  const opTypes = fused.model.graph.nodes.map((node) => node.opType);
  assert.deepEqual(opTypes, ['Transpose', 'PRelu', 'PRelu', 'Softmax', 'Transpose']);
  assert.deepEqual(convertTflite(model, { fuse: false }).fusion, { prelu: 0, softmax: 0 });

  const [withFusion] = await runConverted(model, input);
  const [withoutFusion] = await runConverted(model, input, { fuse: false });
  assertClose(withFusion!, withoutFusion!);
});

test('4-D PReLU is lowered to depthwise convolutions with the same outputs; 2-D PReLU stays PRelu', async () => {
  const input = pseudoRandomImage([2, 5, 4, 6], 90);
  // Slopes well outside [0, 1], as MobileFaceNet's are (−9.4 … 8.9).
  const alpha = pseudoRandomValues(6, 91).map((value) => value * 9);
  const image = new SyntheticModel();
  const model4d = image.build([decomposedPrelu(image, image.input('x', input.shape), alpha, input.shape, 'prelu')]);

  const lowered = convertTflite(model4d);
  assert.equal(lowered.loweredPrelu, 1);
  assert.deepEqual(lowered.model.graph.nodes.map((node) => node.opType), ['Transpose', 'Conv', 'Relu', 'Conv', 'Add', 'Transpose']);
  const [withLowering] = await runConverted(model4d, input);
  const [withPrelu] = await runConverted(model4d, input, { lowerPrelu: false });
  assertClose(withLowering!, withPrelu!);

  const flatInput = pseudoRandomImage([3, 6], 92);
  const flat = new SyntheticModel();
  const model2d = flat.build([decomposedPrelu(flat, flat.input('x', flatInput.shape), alpha, flatInput.shape, 'prelu')]);
  const kept = convertTflite(model2d);
  assert.equal(kept.loweredPrelu, 0);
  assert.deepEqual(kept.model.graph.nodes.map((node) => node.opType), ['PRelu']);
});

test('a pattern whose intermediate value is used elsewhere is left alone', () => {
  const graph = new SyntheticModel();
  const shape = [1, 4];
  const arithmetic = { kind: 'arithmetic', activation: 'NONE' } as const;
  const x = graph.input('x', shape);
  const positive = graph.op('RELU', [x], graph.activation('pos', shape));
  const absolute = graph.op('ABS', [x], graph.activation('abs', shape));
  const difference = graph.op('SUB', [x, absolute], graph.activation('diff', shape), arithmetic);
  const scaled = graph.op('MUL', [graph.constant('c', [4], new Float32Array(4).fill(0.1)), difference], graph.activation('scaled', shape), arithmetic);
  const prelu = graph.op('ADD', [positive, scaled], graph.activation('prelu', shape), arithmetic);
  // `diff` is also a graph output, so the Sub must survive.
  const result = convertTflite(graph.build([prelu, difference]));
  assert.equal(result.fusion.prelu, 0);
});
