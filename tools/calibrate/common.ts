import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DecodeOptions, OnnxRuntimeOptions } from '@facecloud/vision';
import { datasetsDir, modelsDir, repoRoot } from '../support/paths';
import type { RocPoint } from '../eval/metrics';

/** Options every calibration script takes (node:util parseArgs shape). */
export const COMMON_OPTIONS = {
  dataset: { type: 'string' },
  models: { type: 'string' },
  provider: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_USAGE = `  --dataset <dir>    people/, noface/, blurry/ ... (default: the dev set, see FACECLOUD_DATASETS)
  --models <dir>     ONNX models (default: FACECLOUD_MODELS or models/)
  --provider <p>     auto | cpu | cuda (default auto)
  --out <file>       artifact to write`;

export interface CommonSettings {
  dataset: string;
  models: string;
  runtime: OnnxRuntimeOptions;
  out: string;
}

/** The production defaults (DETECT_MAX_SIDE, DECODE_MAX_INPUT_PIXELS), so calibration sees what ingest sees. */
export const DECODE_OPTIONS: DecodeOptions = { maxSide: 1024, maxInputPixels: 100_000_000 };

export const ARTIFACTS_DIR = join(repoRoot, 'libs/vision/artifacts');

export function commonSettings(
  values: { dataset?: string; models?: string; provider?: string; out?: string },
  defaultOut: string,
): CommonSettings {
  const provider = values.provider ?? 'auto';
  if (provider !== 'auto' && provider !== 'cpu' && provider !== 'cuda') throw new Error(`--provider must be auto, cpu or cuda, got ${provider}`);
  return {
    dataset: resolve(values.dataset ?? join(datasetsDir, 'dev')),
    models: resolve(values.models ?? process.env.FACECLOUD_MODELS ?? modelsDir),
    runtime: { provider, logger: { warn: log } },
    out: resolve(values.out ?? defaultOut),
  };
}

/** Progress and results go to stderr/stdout respectively. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A folder name for the artifact's description: never an absolute path of the machine it ran on. */
export function datasetName(datasetDir: string): string {
  return `${basename(dirname(datasetDir))}/${basename(datasetDir)}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function writeArtifact(path: string, artifact: object): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(artifact, null, 2)}\n`);
  log(`wrote ${path} (rebuild to bundle it into dist/)`);
}

export function formatRoc(points: readonly RocPoint[], formatThreshold: (t: number) => string = (t) => t.toFixed(3)): string {
  const rows = points.map((p) => `  ${formatThreshold(p.threshold).padStart(10)}  ${pct(p.tpr).padStart(7)}  ${pct(p.fpr).padStart(7)}`);
  return [`  ${'threshold'.padStart(10)}  ${'TPR'.padStart(7)}  ${'FPR'.padStart(7)}`, ...rows].join('\n');
}

export function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** Rounds for the JSON artifact: enough digits to reproduce every decision, no float noise. */
export function round(value: number, digits = 4): number {
  return Number(value.toFixed(digits));
}
