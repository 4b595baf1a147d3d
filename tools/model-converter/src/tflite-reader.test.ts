import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFloat32Constant, readTfliteModel, withTensorShapes } from './tflite-reader';
import { sourceTflite } from './test-helpers';

test('reads the P-Net graph: operators, tensors, options', async () => {
  const model = readTfliteModel(await sourceTflite('pnet'));
  assert.equal(model.version, 3);
  assert.equal(model.subgraphs.length, 1);
  const subgraph = model.subgraphs[0]!;
  const names = (indices: number[]) => indices.map((index) => subgraph.tensors[index]!.name);
  assert.deepEqual(names(subgraph.inputs), ['pnet/input']);
  assert.deepEqual(names(subgraph.outputs), ['pnet/prob1', 'pnet/conv4-2/BiasAdd']);
  assert.deepEqual(subgraph.tensors[subgraph.inputs[0]!]!.shape, [1, 1280, 960, 3]);

  const first = subgraph.operators[0]!;
  assert.equal(first.opName, 'CONV_2D');
  assert.deepEqual(first.options, {
    kind: 'conv2d', padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE',
  });
  const filter = subgraph.tensors[first.inputs[1]!]!;
  assert.deepEqual(filter.shape, [10, 3, 3, 3]);
  assert.equal(readFloat32Constant(model, filter).length, 270);

  const pool = subgraph.operators.find((operator) => operator.opName === 'MAX_POOL_2D')!;
  assert.deepEqual(pool.options, {
    kind: 'pool2d', padding: 'SAME', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE',
  });
  const reduceMax = subgraph.operators.find((operator) => operator.opName === 'REDUCE_MAX')!;
  assert.deepEqual(reduceMax.options, { kind: 'reducer', keepDims: true });
});

test('reads the MobileFaceNet RESHAPE and depthwise options', async () => {
  const model = readTfliteModel(await sourceTflite('mobilefacenet'));
  const operators = model.subgraphs[0]!.operators;
  assert.deepEqual(operators.at(-1)!.options, { kind: 'reshape', newShape: [2, 192] });
  const depthwise = operators.find((operator) => operator.opName === 'DEPTHWISE_CONV_2D')!;
  assert.deepEqual(depthwise.options, {
    kind: 'depthwiseConv2d',
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    depthMultiplier: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'NONE',
  });
});

test('withTensorShapes patches the named tensors and nothing else', async () => {
  const original = await sourceTflite('pnet');
  const patched = withTensorShapes(original, { 'pnet/input': [2, 30, 20, 3] });
  assert.equal(patched.length, original.length);
  const shapesByName = (bytes: Uint8Array) =>
    new Map(readTfliteModel(bytes).subgraphs[0]!.tensors.map((tensor) => [tensor.name, tensor.shape]));
  const before = shapesByName(original);
  const after = shapesByName(patched);
  assert.deepEqual(after.get('pnet/input'), [2, 30, 20, 3]);
  assert.deepEqual(before.get('pnet/input'), [1, 1280, 960, 3], 'the original bytes are untouched');
  after.delete('pnet/input');
  before.delete('pnet/input');
  assert.deepEqual(after, before);
  assert.throws(() => withTensorShapes(original, { 'pnet/input': [1, 2, 3] }), /rank/);
  assert.throws(() => withTensorShapes(original, { nope: [1] }), /no tensor named nope/);
});

test('rejects bytes that are not a TFLite model', () => {
  assert.throws(() => readTfliteModel(new Uint8Array(64)), /not a TFLite model/);
  assert.throws(() => readTfliteModel(new Uint8Array(3)), /not a TFLite model/);
});
