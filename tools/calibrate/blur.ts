/**
 * Calibrates the blur threshold: Laplacian variance of the aligned face crop (libs/vision
 * quality/blur.ts) of the labelled face of each people/ photo (sharp) and blurry/ photo (blurry).
 * Prints the ROC (a few points and the AUC) and the chosen threshold, the cut maximising Youden's
 * J (balanced accuracy), and writes libs/vision/artifacts/blur-threshold.json.
 *
 *   node dist/tools/calibrate/blur.js [--dataset <dir>] [--models <dir>] [--provider <p>] [--out <file>]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  ALIGNED_SHARPNESS_REGION,
  ARTIFACT_VERSION,
  BLUR_ARTIFACT_FILE,
  FaceAnalyzer,
  faceSharpness,
  type AnalyzedFace,
  type BlurArtifact,
  type PhotoAnalysis,
} from '@facecloud/vision';
import { analyzePhotos, stderrProgress } from '../eval/analyze-dataset';
import { scanDataset, type DatasetPhoto } from '../eval/dataset';
import { labelledFace } from '../eval/labelled-face';
import { chooseThreshold, sampleRoc, rocAuc, rocCurve, youden, type RocPoint } from '../eval/metrics';
import {
  ARTIFACTS_DIR,
  COMMON_OPTIONS,
  COMMON_USAGE,
  commonSettings,
  datasetName,
  DECODE_OPTIONS,
  formatRoc,
  log,
  pct,
  round,
  today,
  writeArtifact,
} from './common';

const USAGE = `usage: calibrate-blur [options]\n${COMMON_USAGE}`;

/** Where the printed ROC is sampled: FPR = sharp faces called blurry, TPR = blurry faces caught. */
const SYNTHETIC_SIGMAS = [0, 1, 1.5, 2, 3];
const REPORTED_ROC = { fprs: [0, 0.01, 0.05, 0.1, 0.2], tprs: [0.5, 0.8, 0.9, 1] };

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: COMMON_OPTIONS, allowPositionals: false });
  if (values.help) return void console.log(USAGE);
  const settings = commonSettings(values, join(ARTIFACTS_DIR, BLUR_ARTIFACT_FILE));

  const photos = scanDataset(settings.dataset).filter((photo) => photo.kind === 'people' || photo.kind === 'blurry');
  // Sharpness does not depend on the embedding, so flip augmentation is off to save time.
  const analyzer = await FaceAnalyzer.create({ modelsDir: settings.models, runtime: settings.runtime, decode: DECODE_OPTIONS, flipAugment: false });
  let analyses: (PhotoAnalysis | Error)[];
  try {
    analyses = await analyzePhotos(analyzer, settings.dataset, photos, { progress: (m) => log(`[blur] ${m}`) });
  } finally {
    await analyzer.close();
  }

  const sharpFaces = labelledFaces(photos, analyses, 'people');
  const sharpScores = sharpFaces.map((face) => face.sharpness);
  const blurryScores = labelledFaces(photos, analyses, 'blurry').map((face) => face.sharpness);
  if (sharpScores.length === 0 || blurryScores.length === 0) {
    throw new Error(`need faces on both people/ (${sharpScores.length}) and blurry/ (${blurryScores.length}) photos`);
  }

  // "Blurry" is the positive class and low sharpness its score; log, so cuts fall at geometric midpoints.
  const score = (sharpness: number) => -Math.log(Math.max(sharpness, 1e-6));
  const toSharpness = (threshold: number) => Math.exp(-threshold);
  const positives = blurryScores.map(score);
  const negatives = sharpScores.map(score);
  const auc = rocAuc(positives, negatives);
  const choice = chooseThreshold(positives, negatives, youden);
  const threshold = toSharpness(choice.threshold);
  const roc = sampleRoc(rocCurve(positives, negatives), REPORTED_ROC).map((p) => ({ ...p, threshold: toSharpness(p.threshold) }));

  console.log(
    `blur calibration on ${datasetName(settings.dataset)}: ` +
      `${sharpScores.length} sharp faces (people/), ${blurryScores.length} blurry faces (blurry/)`,
  );
  console.log(`sharpness (Laplacian variance): sharp median ${median(sharpScores).toFixed(1)}, blurry median ${median(blurryScores).toFixed(1)}`);
  console.log(`ROC, "blurry" = sharpness below the threshold (TPR: blurry caught, FPR: sharp faces called blurry):`);
  console.log(formatRoc(roc, (t) => t.toFixed(1)));
  console.log(`ROC AUC ${auc.toFixed(4)}`);
  console.log(`threshold ${threshold.toFixed(2)} (max Youden J): catches ${pct(choice.tpr)} of blurry faces, flags ${pct(choice.fpr)} of sharp ones`);
  await printSyntheticBlur(sharpFaces.map((face) => face.thumbnailJpeg), threshold);

  const artifact: BlurArtifact = {
    kind: 'facecloud.blur-threshold',
    version: ARTIFACT_VERSION,
    threshold: round(threshold, 2),
    measure:
      `variance of the 4-neighbour Laplacian of BT.601 grey levels, central ${ALIGNED_SHARPNESS_REGION.width}x` +
      `${ALIGNED_SHARPNESS_REGION.height} px of the aligned 112x112 face crop (decode maxSide ${DECODE_OPTIONS.maxSide})`,
    auc: round(auc),
    roc: roc.map(roundPoint),
    counts: { sharpFaces: sharpScores.length, blurryFaces: blurryScores.length },
    dataset:
      `${datasetName(settings.dataset)}: labelled (centred, largest) face of each people/ photo as sharp, ` +
      `of each blurry/ photo as blurry; threshold at max Youden J`,
    createdAt: today(),
  };
  await writeArtifact(settings.out, artifact);
}

function labelledFaces(photos: readonly DatasetPhoto[], analyses: readonly (PhotoAnalysis | Error)[], kind: DatasetPhoto['kind']): AnalyzedFace[] {
  return photos.flatMap((photo, index) => {
    const analysis = analyses[index];
    if (photo.kind !== kind) return [];
    if (analysis instanceof Error) {
      log(`[blur] ${photo.path}: ${analysis.message}`);
      return [];
    }
    const face = labelledFace(analysis);
    return face ? [face] : [];
  });
}

/**
 * What the threshold means in pixels: the sharp faces' aligned crops (their JPEG thumbnails)
 * blurred with a Gaussian of σ px, and the share then called blurry. For information only.
 */
async function printSyntheticBlur(thumbnails: readonly Buffer[], threshold: number): Promise<void> {
  console.log(`synthetic check, sharp faces' 112 px aligned crops blurred by a Gaussian of σ px:`);
  for (const sigma of SYNTHETIC_SIGMAS) {
    const values = await Promise.all(thumbnails.map((jpeg) => blurredSharpness(jpeg, sigma)));
    const flagged = values.filter((value) => value < threshold).length / values.length;
    const label = sigma === 0 ? '0 (JPEG only)' : sigma.toFixed(1);
    console.log(`  σ ${label}: median sharpness ${median(values).toFixed(1)}, called blurry ${pct(flagged)}`);
  }
}

async function blurredSharpness(jpeg: Buffer, sigma: number): Promise<number> {
  const pipeline = sharp(jpeg).removeAlpha().toColourspace('srgb');
  const { data, info } = await (sigma > 0 ? pipeline.blur(sigma) : pipeline).raw().toBuffer({ resolveWithObject: true });
  return faceSharpness({ data, width: info.width, height: info.height });
}

function roundPoint(point: RocPoint): RocPoint {
  return { threshold: round(point.threshold, 2), tpr: round(point.tpr), fpr: round(point.fpr) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

main(process.argv.slice(2)).catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
