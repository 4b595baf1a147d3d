/**
 * `npm run models:similarity` — writes models/similarity.onnx: the k nearest candidates of every
 * query, by cosine distance raised to the mutual-reachability floors, in one graph:
 *
 *   distance[i, j] = max(1 − queries[i] · candidates[j], queryFloor[i], candidateFloor[j]),
 *                    or EXCLUDED (4) where queryGroup[i] = candidateGroup[j]
 *   nearest        = TopK(distance, k, smallest first): `distances` [m, k], `indices` [m, k]
 *
 * The clusterer's nearest-neighbour search runs through it because onnxruntime's SGEMM (SIMD,
 * multithreaded) is ~30× faster than a JavaScript loop, and selecting the k smallest inside
 * the graph returns m·k numbers instead of the m·c score matrix (no copy into JavaScript, no
 * JavaScript scan). Groups exclude the query itself (kNN) or its own component (Borůvka);
 * floors are core distances (0 for plain kNN). The graph has no weights but two scalar
 * constants, so the file is small and byte-stable.
 *
 *   --out <file>   where to write (default: models/similarity.onnx at the repository root)
 *   --check        compare with the existing file instead of writing it
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { onnx } from 'onnx-proto';
import { findRepoRoot } from '@facecloud/config';
import { updateChecksumsFile } from '../model-converter/src/checksums';
import { CHECKSUMS_FILE } from '../model-converter/src/generate';
import { sha256Hex } from '../model-converter/src/hashing';

/** TopK with `largest` and a k input needs opset 11; 13 matches the other models in models/. */
const OPSET = 13;
const IR_VERSION = 7;
/** Distance given to excluded pairs: larger than any cosine distance (≤ 2). */
export const EXCLUDED_DISTANCE = 4;

export function encodeSimilarityModel(): Uint8Array {
  const { FLOAT, INT32, INT64 } = onnx.TensorProto.DataType;
  const { INT } = onnx.AttributeProto.AttributeType;
  const tensor = (name: string, elemType: number, dims: Array<string | number>) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const scalar = (name: string, value: number) => ({ name, dataType: FLOAT, dims: [], floatData: [value] });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'facecloud-similarity-model',
    producerVersion: '2.0.0',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: [
      {
        key: 'description',
        value:
          'k smallest of max(1 − queries·candidatesᵀ, queryFloor, candidateFloor) per query, ' +
          `pairs of equal group excluded (${EXCLUDED_DISTANCE}); cosine distance for unit vectors`,
      },
    ],
    graph: {
      name: 'similarity',
      initializer: [scalar('one', 1), scalar('excluded', EXCLUDED_DISTANCE)],
      node: [
        {
          name: 'cosine_distance',
          opType: 'Gemm',
          input: ['queries', 'candidates', 'one'],
          output: ['cosine'],
          attribute: [
            { name: 'transB', type: INT, i: 1 },
            { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: -1 },
          ],
        },
        { name: 'floors', opType: 'Max', input: ['cosine', 'query_floor', 'candidate_floor'], output: ['reachability'] },
        { name: 'same_group', opType: 'Equal', input: ['query_group', 'candidate_group'], output: ['same'] },
        { name: 'exclude', opType: 'Where', input: ['same', 'excluded', 'reachability'], output: ['distance'] },
        {
          name: 'nearest',
          opType: 'TopK',
          input: ['distance', 'k'],
          output: ['distances', 'indices64'],
          attribute: [
            { name: 'axis', type: INT, i: 1 },
            { name: 'largest', type: INT, i: 0 },
            { name: 'sorted', type: INT, i: 1 },
          ],
        },
        { name: 'indices', opType: 'Cast', input: ['indices64'], output: ['indices'], attribute: [{ name: 'to', type: INT, i: INT32 }] },
      ],
      input: [
        tensor('queries', FLOAT, ['queries', 'dimension']),
        tensor('candidates', FLOAT, ['candidates', 'dimension']),
        tensor('query_floor', FLOAT, ['queries', 1]),
        tensor('candidate_floor', FLOAT, [1, 'candidates']),
        tensor('query_group', INT32, ['queries', 1]),
        tensor('candidate_group', INT32, [1, 'candidates']),
        tensor('k', INT64, [1]),
      ],
      output: [tensor('distances', FLOAT, ['queries', 'k']), tensor('indices', INT32, ['queries', 'k'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, check: { type: 'boolean', default: false } } });
  const out = resolve(values.out ?? join(findRepoRoot(), 'models', 'similarity.onnx'));
  const bytes = encodeSimilarityModel();
  if (values.check) {
    const existing = await readFile(out);
    const same = Buffer.compare(existing, Buffer.from(bytes)) === 0;
    console.log(same ? `${out} is up to date` : `${out} differs from the generated model`);
    return same ? 0 : 1;
  }
  await writeFile(out, bytes);
  await updateChecksumsFile(join(dirname(out), CHECKSUMS_FILE), [{ file: basename(out), sha256: sha256Hex(bytes) }]);
  console.log(`wrote ${out} (${bytes.length} bytes) and its line in ${CHECKSUMS_FILE}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
