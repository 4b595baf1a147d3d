/** Converts every model of the source package and writes the `.onnx` files and SHA256SUMS. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { updateChecksumsFile } from './checksums';
import { convertTflite, type ConvertOptions } from './convert';
import type { FusionReport } from './fuse';
import { sha256Hex } from './hashing';
import { encodeOnnxModel } from './onnx-serialize';
import { MODEL_SPECS, SOURCE_PACKAGE, type ModelSpec } from './model-specs';
import { loadSourceModels } from './source-package';
import { readTfliteModel } from './tflite-reader';

export const CHECKSUMS_FILE = 'SHA256SUMS';

export interface GeneratedModel {
  spec: ModelSpec;
  path: string;
  bytes: number;
  sha256: string;
  fusion: FusionReport;
  loweredPrelu: number;
}

export interface GenerateResult {
  tarballPath: string;
  downloaded: boolean;
  models: GeneratedModel[];
  checksumsPath: string;
}

/**
 * Converts one verified `.tflite` file the way the committed model is converted. `overrides`
 * exists for tests (e.g. to compare with an unfused conversion).
 */
export function convertModel(
  spec: ModelSpec,
  tflite: Uint8Array,
  overrides: Pick<ConvertOptions, 'fuse' | 'lowerPrelu'> = {},
): { onnx: Uint8Array; fusion: FusionReport; loweredPrelu: number } {
  const { model, fusion, loweredPrelu } = convertTflite(readTfliteModel(tflite), {
    ...overrides,
    dynamicBatch: true,
    dynamicSpatial: spec.dynamicSpatial,
    graphName: spec.id,
    metadata: {
      source: `npm:${SOURCE_PACKAGE.name}@${SOURCE_PACKAGE.version}/${spec.sourcePath.replace(/^package\//, '')}`,
      source_sha256: spec.sourceSha256,
    },
  });
  return { onnx: encodeOnnxModel(model), fusion, loweredPrelu };
}

export async function generateModels(outDir: string, cacheDir: string): Promise<GenerateResult> {
  const source = await loadSourceModels(cacheDir);
  await mkdir(outDir, { recursive: true });
  const models: GeneratedModel[] = [];
  for (const spec of MODEL_SPECS) {
    const { onnx, fusion, loweredPrelu } = convertModel(spec, source.files.get(spec.id)!);
    const path = join(outDir, spec.outputFile);
    await writeFile(path, onnx);
    models.push({ spec, path, bytes: onnx.length, sha256: sha256Hex(onnx), fusion, loweredPrelu });
  }
  const checksumsPath = join(outDir, CHECKSUMS_FILE);
  await updateChecksumsFile(checksumsPath, models.map((model) => ({ file: model.spec.outputFile, sha256: model.sha256 })));
  return { tarballPath: source.tarballPath, downloaded: source.downloaded, models, checksumsPath };
}
