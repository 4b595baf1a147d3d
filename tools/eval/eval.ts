/**
 * Evaluation command: runs the real pipeline over a folder laid out as people/<identity>/*,
 * groups/, noface/, blurry/ (each optional) and prints a summary; writes report.json and a
 * self-contained report.html (thumbnails of the errors embedded) to the output folder.
 *
 *   node dist/tools/eval/eval.js <dataset-dir> [--out <dir>] [--no-flip] [--models <dir>] [--provider <p>] [--batch <n>]
 *
 *   --out <dir>      where report.json and report.html go (default .cache/eval/<dataset folder name>)
 *   --no-flip        main run without flip TTA (verification is reported with it on and off either way)
 *   --models <dir>   ONNX models (default: FACECLOUD_MODELS or models/)
 *   --provider <p>   auto | cpu | cuda (default auto)
 *   --embedding <p>  auto | float32 | int8: MobileFaceNet's precision (default auto, as EMBEDDING_PRECISION)
 *   --batch <n>      photos per analyzeMany call (default 8)
 *   --sizes <list>   also cluster random sub-libraries of about these many photos (whole identities), e.g. 200,1000
 *   --seed <n>       seed of the sub-libraries' draw and of the upload order
 *   --incremental    also upload the photos in a random order with incremental assignment and scheduled
 *                    runs, and count the faces a final full run moves
 *
 * Progress goes to stderr, the summary to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { modelsDir } from '../support/paths';
import { DEFAULT_BATCH, stderrProgress } from './analyze-dataset';
import { runEvaluation, type EvalResult } from './evaluate';
import { renderHtmlReport } from './html-report';
import { formatSummary } from './summary';

const USAGE =
  'usage: eval <dataset-dir> [--out <dir>] [--no-flip] [--models <dir>] [--provider auto|cpu|cuda] [--embedding auto|float32|int8] [--batch <n>] [--sizes <n,n,...>] [--seed <n>] [--incremental]';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'no-flip': { type: 'boolean', default: false },
      models: { type: 'string' },
      provider: { type: 'string', default: 'auto' },
      embedding: { type: 'string', default: 'auto' },
      batch: { type: 'string' },
      sizes: { type: 'string' },
      seed: { type: 'string' },
      incremental: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one dataset folder, got ${positionals.length}`);
  const provider = values.provider;
  if (provider !== 'auto' && provider !== 'cpu' && provider !== 'cuda') throw new UsageError(`--provider must be auto, cpu or cuda`);
  const embeddingPrecision = values.embedding;
  if (embeddingPrecision !== 'float32' && embeddingPrecision !== 'int8' && embeddingPrecision !== 'auto') {
    throw new UsageError(`--embedding must be float32, int8 or auto`);
  }
  const batch = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch must be a positive integer`);
  const subLibraries = values.sizes === undefined ? [] : values.sizes.split(',').map(Number);
  if (subLibraries.some((size) => !Number.isInteger(size) || size < 2)) throw new UsageError(`--sizes must be a comma-separated list of photo counts ≥ 2`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be an integer`);
  const datasetDir = resolve(positionals[0]);

  const result = await runEvaluation({
    datasetDir,
    modelsDir: resolve(values.models ?? process.env.FACECLOUD_MODELS ?? modelsDir),
    runtime: { provider, logger: { warn: (message) => stderrProgress(message) } },
    flipAugment: !values['no-flip'],
    embeddingPrecision,
    batch,
    subLibraries,
    incremental: values.incremental,
    ...(seed === undefined ? {} : { seed }),
    progress: stderrProgress,
  });
  const outDir = resolve(values.out ?? join('.cache/eval', basename(datasetDir)));
  await writeReports(result, outDir);
  console.log(formatSummary(result.report));
  stderrProgress(`[eval] wrote ${join(outDir, 'report.json')} and ${join(outDir, 'report.html')}`);
}

/** report.json (numbers only) and report.html (numbers and pictures of the errors). */
export async function writeReports(result: EvalResult, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(result.report, null, 2)}\n`);
  await writeFile(join(outDir, 'report.html'), await renderHtmlReport(result.report, result.gallery));
}

class UsageError extends Error {}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
