/**
 * Suite "pyramid": MTCNN detection time on the dev photos with the classic per-scale P-Net loop
 * vs the packed pyramid (one P-Net run per canvas), one photo per call (detect) and in
 * micro-batches (detectMany). Photos are decoded once, untimed. The variants take turns batch by
 * batch, in rotating order, so a busy machine slows them alike. Besides wall time, each variant's
 * process CPU time is summed (process.cpuUsage): less sensitive to other processes' load, though
 * with more than one onnxruntime thread it also counts the threads' spin-waiting.
 *
 *   --dataset <dir>   photos, searched recursively (default: the dev set, see FACECLOUD_DATASETS)
 *   --max-side <px>   working size (default 1024)
 *   --batch <n>       photos per detectMany call (default 8)
 *   --runs <n>        passes over all photos (default 2; --quick: 1 pass over 64 photos)
 *   --provider <p>    onnxruntime execution provider: cpu (default), cuda or auto
 *   --threads <n>     onnxruntime intra-op threads (default 0: onnxruntime's choice, all cores)
 */
import { MtcnnDetector, type MtcnnOptions, type OnnxRuntimeOptions, type RgbImage } from '@facecloud/vision';
import { chunk, decodeAll, DEFAULT_DATASET, defaultModelsDir, positiveInteger, ratio, readPhotos, round, suiteOptions, sum } from './photos';
import { summarize, type TimingSummary } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

const PROVIDERS: readonly OnnxRuntimeOptions['provider'][] = ['cpu', 'cuda', 'auto'];

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

/**
 * Per variant: wall milliseconds per photo (a detectMany call's time shared by its photos), total
 * CPU milliseconds, and faces found per photo.
 */
interface Measurements {
  milliseconds: number[][];
  cpuMs: number[];
  faces: number[][];
}

export function providerOption(value: unknown): OnnxRuntimeOptions['provider'] {
  const provider = PROVIDERS.find((name) => name === (value ?? 'cpu'));
  if (!provider) throw new RangeError(`--provider must be one of ${PROVIDERS.join(', ')}, got ${String(value)}`);
  return provider;
}

export const pyramidSuite: BenchSuite = {
  name: 'pyramid',
  description: 'MTCNN detection: per-scale P-Net loop vs packed pyramid, per photo and in micro-batches',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const values = suiteOptions(context.argv, {
      dataset: 'string',
      'max-side': 'string',
      batch: 'string',
      runs: 'string',
      provider: 'string',
      threads: 'string',
    });
    const maxSide = positiveInteger(values['max-side'] ?? 1024, '--max-side');
    const batch = positiveInteger(values.batch ?? 8, '--batch');
    const runs = positiveInteger(values.runs ?? (context.quick ? 1 : 2), '--runs');
    const provider = providerOption(values.provider);
    const threads = values.threads === undefined ? 0 : Number(values.threads);
    if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`--threads must be an integer ≥ 0, got ${String(values.threads)}`);
    const photos = await readPhotos(String(values.dataset ?? DEFAULT_DATASET), context.quick ? 64 : Infinity);
    const images = await decodeAll(photos, maxSide);
    context.progress(`${images.length} photos decoded at ${maxSide} px`);

    const detectors = new Map<Variant['pyramid'], MtcnnDetector>();
    try {
      for (const pyramid of ['per-scale', 'packed'] as const) {
        detectors.set(pyramid, await MtcnnDetector.create(defaultModelsDir(), { provider, intraOpThreads: threads }, { pyramid }));
      }
      const batches = chunk(images, batch);
      for (const variant of VARIANTS) await runVariant(variant, detectors, batches[0]); // warm-up, untimed
      const measurements = await measure(detectors, batches, runs, context);
      const summaries = VARIANTS.map((_, index) => summarize(measurements.milliseconds[index]));
      const { executionProvider } = detectors.get('packed') as MtcnnDetector;
      return outcome({ maxSide, batch, runs, threads, executionProvider, photos: images.length }, summaries, measurements);
    } finally {
      for (const detector of detectors.values()) await detector.close();
    }
  },
};

async function measure(
  detectors: ReadonlyMap<Variant['pyramid'], MtcnnDetector>,
  batches: readonly RgbImage[][],
  runs: number,
  context: BenchContext,
): Promise<Measurements> {
  const measurements: Measurements = { milliseconds: VARIANTS.map(() => []), cpuMs: VARIANTS.map(() => 0), faces: VARIANTS.map(() => []) };
  let turn = 0;
  for (let run = 0; run < runs; run++) {
    for (const batch of batches) {
      for (let step = 0; step < VARIANTS.length; step++) {
        const index = (turn + step) % VARIANTS.length;
        const cpuBefore = process.cpuUsage();
        const result = await runVariant(VARIANTS[index], detectors, batch);
        const cpu = process.cpuUsage(cpuBefore);
        measurements.cpuMs[index] += (cpu.user + cpu.system) / 1000;
        if (run === 0) measurements.faces[index].push(...result.faces);
        measurements.milliseconds[index].push(...result.milliseconds);
      }
      turn++;
    }
    context.progress(`pass ${run + 1}/${runs} done`);
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

interface RunSettings {
  maxSide: number;
  batch: number;
  runs: number;
  threads: number;
  executionProvider: string;
  photos: number;
}

/** The per-scale variant with the same calls (detect or detectMany) as `index`: what it is compared with. */
function baselineOf(index: number): number {
  return VARIANTS.findIndex((variant) => variant.pyramid === 'per-scale' && variant.batched === VARIANTS[index].batched);
}

function outcome(settings: RunSettings, summaries: readonly TimingSummary[], measurements: Measurements): BenchOutcome {
  const { faces, cpuMs } = measurements;
  const samples = summaries.map((summary) => summary.samples);
  const meanMs = summaries.map((summary) => summary.totalMs / summary.samples);
  const cpuMsPerPhoto = cpuMs.map((total, index) => total / samples[index]);
  const speedup = VARIANTS.map((_, index) => summaries[baselineOf(index)].totalMs / summaries[index].totalMs);
  const cpuSpeedup = VARIANTS.map((_, index) => cpuMs[baselineOf(index)] / cpuMs[index]);
  const disagreements = faces[0].filter((count, photo) => faces.some((variantFaces) => variantFaces[photo] !== count)).length;
  const rows = [
    ['variant', 'median ms/photo', 'p90 ms/photo', 'mean ms/photo', 'CPU ms/photo', 'speed-up', 'CPU speed-up', 'faces'],
    ...VARIANTS.map((variant, index) => [
      variant.name,
      summaries[index].medianMs.toFixed(1),
      summaries[index].p90Ms.toFixed(1),
      meanMs[index].toFixed(2),
      cpuMsPerPhoto[index].toFixed(2),
      ratio(speedup[index]),
      ratio(cpuSpeedup[index]),
      String(sum(faces[index])),
    ]),
  ];
  return {
    tables: [
      {
        title:
          `MTCNN detection, ${settings.photos} photos at ${settings.maxSide} px, detectMany batches of ${settings.batch}, ` +
          `${settings.runs} pass(es), ${settings.executionProvider.toUpperCase()}, ` +
          (settings.threads ? `${settings.threads} onnxruntime thread(s)` : 'onnxruntime default threads'),
        rows,
        notes: [
          'speed-up = time of the per-scale variant with the same calls (detect or detectMany) / time of the variant; CPU speed-up likewise with process CPU time',
          disagreements === 0 ? 'all variants found the same number of faces on every photo' : `face counts differ on ${disagreements} photo(s)`,
        ],
      },
    ],
    json: {
      ...settings,
      variants: VARIANTS.map((variant, index) => ({
        ...variant,
        samples: samples[index],
        medianMs: round(summaries[index].medianMs, 2),
        p90Ms: round(summaries[index].p90Ms, 2),
        meanMs: round(meanMs[index], 3),
        totalMs: round(summaries[index].totalMs, 0),
        cpuMsPerPhoto: round(cpuMsPerPhoto[index], 3),
        speedup: round(speedup[index], 3),
        cpuSpeedup: round(cpuSpeedup[index], 3),
        faces: sum(faces[index]),
      })),
      faceCountDisagreements: disagreements,
    },
  };
}
