/**
 * Pyramid benchmark: MTCNN detection time on the dev photos with the classic per-scale P-Net loop
 * vs the packed pyramid (one P-Net run per canvas), one photo per call (detect) and in
 * micro-batches (detectMany). Photos are decoded once, untimed. The variants take turns batch by
 * batch, in rotating order, so a busy machine slows them alike.
 *
 *   --dataset <dir>   photos, searched recursively (default: the dev set, see FACECLOUD_DATASETS)
 *   --models <dir>    ONNX models (default: models/)
 *   --out <file>      JSON results (default: bench-results/pyramid.json)
 *   --max-side <px>   working size (default 1024)
 *   --batch <n>       photos per detectMany call (default 8)
 *   --runs <n>        passes over all photos (default 1)
 *   --provider <p>    onnxruntime execution provider: cpu (default), cuda or auto
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodePhoto, MtcnnDetector, type MtcnnOptions, type OnnxRuntimeOptions, type RgbImage } from '@facecloud/vision';
import { datasetsDir, modelsDir, repoRoot } from '../../test/support/paths';
import { formatTable, summarize, type TimingSummary } from './stats';

const USAGE =
  'usage: bench [--dataset <dir>] [--models <dir>] [--out <file>] [--max-side <px>] [--batch <n>] [--runs <n>] [--provider cpu|cuda|auto]';
const PROVIDERS: readonly OnnxRuntimeOptions['provider'][] = ['cpu', 'cuda', 'auto'];
const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

interface Settings {
  dataset: string;
  models: string;
  out: string;
  maxSide: number;
  batch: number;
  runs: number;
  provider: OnnxRuntimeOptions['provider'];
}

interface Variant {
  name: string;
  pyramid: MtcnnOptions['pyramid'];
  batched: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'per-scale, detect', pyramid: 'per-scale', batched: false },
  { name: 'packed, detect', pyramid: 'packed', batched: false },
  { name: 'per-scale, detectMany', pyramid: 'per-scale', batched: true },
  { name: 'packed, detectMany', pyramid: 'packed', batched: true },
];

/** Per variant: milliseconds per photo (a detectMany call's time shared by its photos) and faces found per photo. */
interface Measurements {
  milliseconds: number[][];
  faces: number[][];
}

async function main(argv: string[]): Promise<void> {
  const settings = parseSettings(argv);
  const images = await decodeAll(await listPhotos(settings.dataset), settings.maxSide);
  const detectors = new Map<Variant['pyramid'], MtcnnDetector>();
  for (const pyramid of ['per-scale', 'packed'] as const) {
    detectors.set(pyramid, await MtcnnDetector.create(settings.models, { provider: settings.provider }, { pyramid }));
  }
  try {
    const batches = chunk(images, settings.batch);
    for (const variant of VARIANTS) await runVariant(variant, detectors, batches[0]); // warm-up, untimed
    const measurements = await measure(detectors, batches, settings.runs);
    const summaries = VARIANTS.map((_, index) => summarize(measurements.milliseconds[index]));
    const { executionProvider } = detectors.get('packed') as MtcnnDetector;
    console.log(report(settings, executionProvider, images.length, summaries, measurements.faces));
    await saveJson(settings, executionProvider, images.length, summaries, measurements.faces);
  } finally {
    for (const detector of detectors.values()) await detector.close();
  }
}

function parseSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      models: { type: 'string' },
      out: { type: 'string' },
      'max-side': { type: 'string', default: '1024' },
      batch: { type: 'string', default: '8' },
      runs: { type: 'string', default: '1' },
      provider: { type: 'string', default: 'cpu' },
    },
  });
  const provider = PROVIDERS.find((name) => name === values.provider);
  if (!provider) throw new RangeError(`--provider must be one of ${PROVIDERS.join(', ')}, got ${values.provider}`);
  return {
    dataset: resolve(values.dataset ?? join(datasetsDir, 'dev')),
    models: resolve(values.models ?? process.env.FACECLOUD_MODELS ?? modelsDir),
    out: resolve(values.out ?? join(repoRoot, 'bench-results', 'pyramid.json')),
    maxSide: positiveInteger(values['max-side'], '--max-side'),
    batch: positiveInteger(values.batch, '--batch'),
    runs: positiveInteger(values.runs, '--runs'),
    provider,
  };
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${text}`);
  return value;
}

async function listPhotos(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  const photos = entries.filter((entry) => PHOTO_EXTENSIONS.has(extname(entry).toLowerCase())).sort();
  if (photos.length === 0) throw new Error(`no photos found in ${dir}`);
  return photos.map((entry) => join(dir, entry));
}

async function decodeAll(paths: readonly string[], maxSide: number): Promise<RgbImage[]> {
  const images: RgbImage[] = [];
  for (const path of paths) {
    const { image } = await decodePhoto(await readFile(path), { maxSide, maxInputPixels: 100_000_000 });
    images.push(image);
  }
  return images;
}

async function measure(
  detectors: ReadonlyMap<Variant['pyramid'], MtcnnDetector>,
  batches: readonly RgbImage[][],
  runs: number,
): Promise<Measurements> {
  const measurements: Measurements = { milliseconds: VARIANTS.map(() => []), faces: VARIANTS.map(() => []) };
  let turn = 0;
  for (let run = 0; run < runs; run++) {
    for (const batch of batches) {
      for (let step = 0; step < VARIANTS.length; step++) {
        const index = (turn + step) % VARIANTS.length;
        const result = await runVariant(VARIANTS[index], detectors, batch);
        if (run === 0) measurements.faces[index].push(...result.faces);
        measurements.milliseconds[index].push(...result.milliseconds);
      }
      turn++;
    }
  }
  return measurements;
}

/** Detects faces on the batch the variant's way; returns milliseconds and faces per photo. */
async function runVariant(
  variant: Variant,
  detectors: ReadonlyMap<Variant['pyramid'], MtcnnDetector>,
  batch: readonly RgbImage[],
): Promise<{ milliseconds: number[]; faces: number[] }> {
  const detector = detectors.get(variant.pyramid) as MtcnnDetector;
  if (variant.batched) {
    const started = performance.now();
    const results = await detector.detectMany(batch);
    const share = (performance.now() - started) / batch.length;
    return { milliseconds: batch.map(() => share), faces: results.map((faces) => faces.length) };
  }
  const milliseconds: number[] = [];
  const faces: number[] = [];
  for (const image of batch) {
    const started = performance.now();
    faces.push((await detector.detect(image)).length);
    milliseconds.push(performance.now() - started);
  }
  return { milliseconds, faces };
}

function report(
  settings: Settings,
  executionProvider: string,
  photos: number,
  summaries: readonly TimingSummary[],
  faces: readonly number[][],
): string {
  const baseline = summaries[0].totalMs;
  const rows = [
    ['variant', 'median ms/photo', 'p90 ms/photo', 'total ms', 'speed-up', 'faces'],
    ...VARIANTS.map((variant, index) => [
      variant.name,
      summaries[index].medianMs.toFixed(1),
      summaries[index].p90Ms.toFixed(1),
      summaries[index].totalMs.toFixed(0),
      `${(baseline / summaries[index].totalMs).toFixed(2)}×`,
      String(sum(faces[index])),
    ]),
  ];
  const disagreements = countDisagreements(faces);
  return [
    `${photos} photos at ${settings.maxSide} px, detectMany batches of ${settings.batch}, ${settings.runs} run(s), ` +
      `${executionProvider.toUpperCase()}, ${cpus().length} CPU core(s), Node ${process.version}`,
    formatTable(rows),
    'speed-up = total time of "per-scale, detect" / total time of the variant; detectMany time is shared by its photos',
    disagreements === 0 ? 'all variants found the same number of faces on every photo' : `face counts differ on ${disagreements} photo(s)`,
  ].join('\n');
}

function countDisagreements(faces: readonly number[][]): number {
  return faces[0].filter((count, photo) => faces.some((variantFaces) => variantFaces[photo] !== count)).length;
}

async function saveJson(
  settings: Settings,
  executionProvider: string,
  photos: number,
  summaries: readonly TimingSummary[],
  faces: readonly number[][],
): Promise<void> {
  const result = {
    benchmark: 'mtcnn-pyramid',
    date: new Date().toISOString(),
    executionProvider,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    photos,
    maxSide: settings.maxSide,
    batch: settings.batch,
    runs: settings.runs,
    variants: VARIANTS.map((variant, index) => ({
      ...variant,
      samples: summaries[index].samples,
      medianMs: round(summaries[index].medianMs, 2),
      p90Ms: round(summaries[index].p90Ms, 2),
      totalMs: round(summaries[index].totalMs, 0),
      speedup: round(summaries[0].totalMs / summaries[index].totalMs, 3),
      faces: sum(faces[index]),
    })),
    faceCountDisagreements: countDisagreements(faces),
  };
  await mkdir(dirname(settings.out), { recursive: true });
  await writeFile(settings.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${settings.out}`);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exitCode = 1;
});
