/**
 * Regenerates every model from the npm package into a temporary folder: the result must
 * compute exactly what the committed model computes. Byte equality is reported, not required.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateModels, type GenerateResult } from './generate';
import { MODEL_SPECS, type ModelId } from './model-specs';
import { defaultCacheDir } from './paths';
import { sha256Hex } from './hashing';
import { committedModelPath, onnxSession, runOnnx } from './test-helpers';
import { pseudoRandomImage } from '../../support/pseudo-random-image';

const INPUT_SHAPES: Record<ModelId, number[][]> = {
  pnet: [[1, 12, 12, 3], [2, 57, 41, 3]],
  rnet: [[5, 24, 24, 3]],
  onet: [[3, 48, 48, 3]],
  mobilefacenet: [[2, 112, 112, 3]],
  'mobilefacenet-int8': [[2, 112, 112, 3]],
};

let outDir: string;
let generated: GenerateResult;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'models-regenerated-'));
  generated = await generateModels(outDir, defaultCacheDir());
});

after(() => rm(outDir, { recursive: true, force: true }));

for (const spec of MODEL_SPECS) {
  test(`regenerated ${spec.outputFile} gives the committed model's outputs`, async (t) => {
    const regenerated = generated.models.find((model) => model.spec.id === spec.id)!;
    const committedHash = sha256Hex(await readFile(committedModelPath(spec.id)));
    t.diagnostic(committedHash === regenerated.sha256 ? 'bytes identical' : `bytes differ: committed ${committedHash}, regenerated ${regenerated.sha256}`);

    const committedSession = await onnxSession(committedModelPath(spec.id));
    const regeneratedSession = await onnxSession(regenerated.path);
    assert.deepEqual(regeneratedSession.inputNames, committedSession.inputNames);
    assert.deepEqual(regeneratedSession.outputNames, committedSession.outputNames);
    for (const [i, shape] of INPUT_SHAPES[spec.id].entries()) {
      const input = pseudoRandomImage(shape, 500 + i);
      const expected = await runOnnx(committedSession, input);
      const actual = await runOnnx(regeneratedSession, input);
      assert.deepEqual(actual, expected);
    }
  });
}
