/** Converts every model of the source package and writes the `.onnx` files and SHA256SUMS. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyQuantization, readCalibration, type CalibrationFile } from './calibration';
import { updateChecksumsFile } from './checksums';
import { convertTflite, type ConvertOptions } from './convert';
import type { FusionReport } from './fuse';
import { sha256Hex } from './hashing';
import { encodeOnnxModel } from './onnx-serialize';
import { MODEL_SPECS, SOURCE_PACKAGE, type ModelSpec } from './model-specs';
import type { QuantizeReport } from './quantize';
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
  quantized?: QuantizeReport & { equalized: number };
}

export interface GenerateResult {
  tarballPath: string;
  downloaded: boolean;
  models: GeneratedModel[];
  checksumsPath: string;
}

/**
 * Converts one verified `.tflite` file the way the committed model is converted. `overrides`
 * exists for tests (e.g. to compare with an unfused conversion). A quantised model needs its
 * calibration data (readCalibration).
 */
export function convertModel(
  spec: ModelSpec,
  tflite: Uint8Array,
  overrides: Pick<ConvertOptions, 'fuse' | 'lowerPrelu'> = {},
  calibration?: CalibrationFile,
): { onnx: Uint8Array; fusion: FusionReport; loweredPrelu: number; quantized?: QuantizeReport & { equalized: number } } {
  const { model, fusion, loweredPrelu } = convertTflite(readTfliteModel(tflite), {
    ...overrides,
    dynamicBatch: true,
    dynamicSpatial: spec.dynamicSpatial,
    graphName: spec.id,
    metadata: {
      source: `npm:${SOURCE_PACKAGE.name}@${SOURCE_PACKAGE.version}/${spec.sourcePath.replace(/^package\//, '')}`,
      source_sha256: spec.sourceSha256,
      ...(spec.quantization ? { quantization: `int8 QDQ, calibration ${spec.quantization.calibrationFile}` } : {}),
    },
  });
  if (!spec.quantization) return { onnx: encodeOnnxModel(model), fusion, loweredPrelu };
  if (!calibration) throw new Error(`${spec.id}: quantisation needs its calibration data`);
  const quantized = applyQuantization(model.graph, spec.quantization, calibration);
  return { onnx: encodeOnnxModel(model), fusion, loweredPrelu, quantized };
}

export async function generateModels(outDir: string, cacheDir: string): Promise<GenerateResult> {
  const source = await loadSourceModels(cacheDir);
  await mkdir(outDir, { recursive: true });
  const models: GeneratedModel[] = [];
  for (const spec of MODEL_SPECS) {
    const calibration = spec.quantization ? await readCalibration(spec) : undefined;
    const { onnx, fusion, loweredPrelu, quantized } = convertModel(spec, source.files.get(spec.id)!, {}, calibration);
    const path = join(outDir, spec.outputFile);
    await writeFile(path, onnx);
    models.push({ spec, path, bytes: onnx.length, sha256: sha256Hex(onnx), fusion, loweredPrelu, ...(quantized ? { quantized } : {}) });
  }
  const checksumsPath = join(outDir, CHECKSUMS_FILE);
  await updateChecksumsFile(checksumsPath, models.map((model) => ({ file: model.spec.outputFile, sha256: model.sha256 })));
  return { tarballPath: source.tarballPath, downloaded: source.downloaded, models, checksumsPath };
}
