/**
 * The converted models against a real TFLite runtime (LiteRT, WASM CPU) on the original
 * files: same output names and order, same shapes, max abs difference ≤ 1e-4 per output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelId } from './model-specs';
import { readTfliteModel, withTensorShapes } from './tflite-reader';
import {
  committedModelPath,
  elementCount,
  maxAbsDiff,
  onnxSession,
  pnetOutputSize,
  runOnnx,
  sourceTflite,
} from './test-helpers';
import { pseudoRandomImage } from '../../support/pseudo-random-image';
import { runTflite, tfliteOutputNames } from './litert-node';

const TOLERANCE = 1e-4;

interface Case {
  model: ModelId;
  inputShape: number[];
  /** Expected output shapes, in output order, worked out from the architecture. */
  outputShapes: number[][];
}

const pnetCase = (batch: number, height: number, width: number): Case => {
  const [outH, outW] = [pnetOutputSize(height), pnetOutputSize(width)];
  return { model: 'pnet', inputShape: [batch, height, width, 3], outputShapes: [[batch, outH, outW, 2], [batch, outH, outW, 4]] };
};

const CASES: Case[] = [
  pnetCase(1, 12, 12),
  pnetCase(1, 64, 37),
  pnetCase(2, 31, 50),
  { model: 'rnet', inputShape: [1, 24, 24, 3], outputShapes: [[1, 2], [1, 4]] },
  { model: 'rnet', inputShape: [4, 24, 24, 3], outputShapes: [[4, 2], [4, 4]] },
  { model: 'onet', inputShape: [3, 48, 48, 3], outputShapes: [[3, 2], [3, 4], [3, 10]] },
  // MobileFaceNet's batch is fixed at 2 in the TFLite file.
  { model: 'mobilefacenet', inputShape: [2, 112, 112, 3], outputShapes: [[2, 192]] },
];

for (const [caseIndex, testCase] of CASES.entries()) {
  const label = `${testCase.model} [${testCase.inputShape.join(',')}]`;
  test(`${label}: ONNX outputs match LiteRT within ${TOLERANCE}`, async (t) => {
    const original = await sourceTflite(testCase.model);
    const subgraph = readTfliteModel(original).subgraphs[0]!;
    const inputName = subgraph.tensors[subgraph.inputs[0]!]!.name;
    const outputNames = subgraph.outputs.map((index) => subgraph.tensors[index]!.name);

    // Give the TFLite file this case's shapes; LiteRT sizes its output buffers from the file.
    const shapes = Object.fromEntries([
      [inputName, testCase.inputShape],
      ...outputNames.map((name, i) => [name, testCase.outputShapes[i]!]),
    ]);
    const tflite = withTensorShapes(original, shapes);
    const input = pseudoRandomImage(testCase.inputShape, 1000 + caseIndex);

    const reference = await runTflite(tflite, [input]);
    const session = await onnxSession(committedModelPath(testCase.model));
    const converted = await runOnnx(session, input);

    assert.deepEqual(await tfliteOutputNames(tflite), outputNames);
    assert.deepEqual(session.inputNames, [inputName]);
    assert.deepEqual(session.outputNames, outputNames, 'output names and order as in the TFLite file');
    for (const [i, name] of outputNames.entries()) {
      const expectedShape = testCase.outputShapes[i]!;
      assert.deepEqual(reference[i]!.shape, expectedShape, `LiteRT shape of ${name}`);
      assert.equal(reference[i]!.data.length, elementCount(expectedShape), `LiteRT size of ${name}`);
      assert.deepEqual(converted[i]!.shape, expectedShape, `ONNX shape of ${name}`);
      const diff = maxAbsDiff(converted[i]!.data, reference[i]!.data);
      t.diagnostic(`${name}: max abs diff ${diff.toExponential(2)}`);
      assert.ok(diff <= TOLERANCE, `${name}: max abs diff ${diff} exceeds ${TOLERANCE}`);
    }
  });
}
