/** The committed models in onnxruntime at batch sizes and image sizes other than the TFLite ones. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelId } from './model-specs';
import {
  committedModelPath,
  maxAbsDiff,
  onnxSession,
  pnetOutputSize,
  runOnnx,
  sliceBatch,
} from './test-helpers';
import { pseudoRandomImage } from '../../support/pseudo-random-image';

/** Runs a batch and single rows of it; each row must come out as it does inside the batch. */
async function checkBatch(id: ModelId, inputShape: number[], batch: number, outputShapes: number[][]): Promise<void> {
  const session = await onnxSession(committedModelPath(id));
  const input = pseudoRandomImage([batch, ...inputShape], batch);
  const outputs = await runOnnx(session, input);
  assert.deepEqual(outputs.map((output) => output.shape), outputShapes.map((shape) => [batch, ...shape]));
  for (const row of [0, batch - 1]) {
    const single = await runOnnx(session, sliceBatch(input, row, 1));
    single.forEach((output, i) => {
      assert.deepEqual(output.shape, [1, ...outputShapes[i]!]);
      assert.ok(maxAbsDiff(output.data, sliceBatch(outputs[i]!, row, 1).data) <= 1e-5, `${id} row ${row} output ${i}`);
    });
  }
}

test('R-Net runs with batch 1 and 37', () => checkBatch('rnet', [24, 24, 3], 37, [[2], [4]]));

test('O-Net runs with batch 1 and 7', () => checkBatch('onet', [48, 48, 3], 7, [[2], [4], [10]]));

test('MobileFaceNet runs with batch 1 and 5 although the TFLite file fixes batch 2', () =>
  checkBatch('mobilefacenet', [112, 112, 3], 5, [[192]]));

test('P-Net accepts any height and width', async () => {
  const session = await onnxSession(committedModelPath('pnet'));
  for (const [batch, height, width] of [[1, 12, 12], [1, 100, 73], [3, 25, 13], [1, 240, 320]] as const) {
    const outputs = await runOnnx(session, pseudoRandomImage([batch, height, width, 3], height * width));
    const [outH, outW] = [pnetOutputSize(height), pnetOutputSize(width)];
    assert.deepEqual(outputs.map((output) => output.shape), [[batch, outH, outW, 2], [batch, outH, outW, 4]]);
    // Face probabilities: a softmax over the last axis.
    const probabilities = outputs[0]!.data;
    for (let i = 0; i < probabilities.length; i += 2) {
      assert.ok(Math.abs(probabilities[i]! + probabilities[i + 1]! - 1) < 1e-5);
    }
  }
});
