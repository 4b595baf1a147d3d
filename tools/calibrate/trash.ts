/**
 * Calibrates the trash sphere ("diagrams & mushrooms"): the mean embedding of non-faces and a
 * cosine radius around it, inside which a detection is called trash.
 *
 * Trash set, all embedded exactly as the analyzer embeds faces (aligned crop, flip TTA):
 *   - detector false positives: MTCNN with LOW thresholds on noface/ photos and on generated
 *     pictures (the boxes a detector is tempted by);
 *   - face-aligned grid crops of the same pictures (the template's landmarks placed in regions
 *     at several scales);
 *   - generated pictures: textures, text and diagrams drawn as SVG (synthetic.ts).
 * Faces: the labelled (centred, largest) face of each people/ photo.
 *
 * The radius is the cut on "cosine to centroid ≥ threshold ⇒ trash" that still catches
 * MIN_TRASH_CAUGHT of the trash set, placed on the trash side: the errors are not alike. A face
 * inside the sphere silently drops out of every person; a non-face let through is at worst a
 * stray face the user can remove (two of them rarely average the clustering threshold). And
 * the calibration faces cannot bound where other libraries' faces lie: LFW's small news photos
 * sit nearer the trash centroid than the dev set's (1.2 % of them fell inside the best-Youden
 * radius, which sat mid-gap between dev faces and trash). The cut must still reject at most
 * MAX_FACE_REJECTION of the calibration faces. Honest evaluation: two folds split by
 * noface photo, generated picture and identity; each fold's centroid and radius are fitted on
 * one half and scored on the other (held-out AUC); the committed sphere is then fitted on all.
 * groups/ faces are never used for fitting: their rejection rate is a further held-out check.
 *
 *   node dist/tools/calibrate/trash.js [--dataset <dir>] [--models <dir>] [--provider <p>] [--out <file>]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ARTIFACT_VERSION,
  decodePhoto,
  FaceAnalyzer,
  TRASH_ARTIFACT_FILE,
  trashCentroid,
  trashSimilarity,
  type MtcnnOptions,
  type PhotoAnalysis,
  type TrashArtifact,
} from '@facecloud/vision';
import { analyzePhotos, DEFAULT_BATCH } from '../eval/analyze-dataset';
import { scanDataset, type DatasetPhoto } from '../eval/dataset';
import { labelledFace } from '../eval/labelled-face';
import { chooseThreshold, sampleRoc, rocAuc, rocCurve, youden } from '../eval/metrics';
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
  type CommonSettings,
} from './common';
import { gridRegions } from './regions';
import { seededRandom } from '@facecloud/clustering';
import { generateNonFaces } from './synthetic';

const USAGE = `usage: calibrate-trash [options]\n${COMMON_USAGE}`;

/** Low cascade thresholds and smaller faces than production: harvest what tempts the detector. */
const HARVEST_DETECTOR: Partial<MtcnnOptions> = { thresholds: [0.2, 0.1, 0.05], minFaceSize: 20 };
const CROPS_PER_NOFACE_PHOTO = 20;
const CROPS_PER_GENERATED_PICTURE = 6;
const GENERATED_PER_CATEGORY = 16;
const SEED = 20240601;
/** At most this share of real faces may fall inside the sphere on the calibration data. */
const MAX_FACE_REJECTION = 0.01;
/** The radius catches this share of the trash set (its loosest cut that does). */
const MIN_TRASH_CAUGHT = 0.99;
/** Where the printed ROC is sampled: FPR = faces called trash, TPR = trash caught. */
const REPORTED_ROC = { fprs: [0, 0.005, 0.01, 0.02, 0.05], tprs: [0.5, 0.9, 0.99, 1] };

type Fold = 0 | 1;
type TrashSource = 'noface-detections' | 'noface-crops' | 'generated-detections' | 'generated-crops';

interface Sample {
  embedding: Float32Array;
  fold: Fold;
}

interface TrashSample extends Sample {
  source: TrashSource;
}

/** A non-face picture: a noface/ photo or a generated one. */
interface Picture {
  name: string;
  bytes: Buffer;
  fold: Fold;
  generated: boolean;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: COMMON_OPTIONS, allowPositionals: false });
  if (values.help) return void console.log(USAGE);
  const settings = commonSettings(values, join(ARTIFACTS_DIR, TRASH_ARTIFACT_FILE));
  const photos = scanDataset(settings.dataset);
  const pictures = await nonFacePictures(settings.dataset, photos);

  const { embedderModel, faces, groupFaces, blurryFaces, trash } = await collectSamples(settings, photos, pictures);
  if (faces.length === 0 || trash.length === 0) throw new Error(`need faces (${faces.length}) and trash (${trash.length})`);

  const folds = ([0, 1] as const).map((fold) => crossValidate(fold, faces, trash));
  const final = fit(faces, trash);
  const heldOutAuc = (folds[0].heldOut.auc + folds[1].heldOut.auc) / 2;
  printReport(settings.dataset, faces, trash, folds, final, heldOutAuc);
  printUnseenFaces(final, { 'groups/': groupFaces, 'blurry/': blurryFaces });

  const artifact: TrashArtifact = {
    kind: 'facecloud.trash-sphere',
    version: ARTIFACT_VERSION,
    embedderModel,
    flipAugment: true,
    threshold: round(final.threshold),
    auc: { calibration: round(final.auc), heldOut: round(heldOutAuc) },
    counts: {
      faces: faces.length,
      trash: trash.length,
      ...countBySource(trash),
      noFacePhotos: pictures.filter((picture) => !picture.generated).length,
      generatedPictures: pictures.filter((picture) => picture.generated).length,
    },
    dataset:
      `${datasetName(settings.dataset)}: trash = MTCNN detections at thresholds ${HARVEST_DETECTOR.thresholds?.join('/')} ` +
      `(min face ${HARVEST_DETECTOR.minFaceSize} px) and face-aligned grid crops on noface/ photos and on generated ` +
      `textures, text and diagrams; faces = labelled face of each people/ photo. Threshold: the loosest cut catching ` +
      `${pct(MIN_TRASH_CAUGHT)} of the trash, rejecting ≤ ${pct(MAX_FACE_REJECTION)} of faces. heldOut = mean AUC over 2 folds split by photo and identity.`,
    createdAt: today(),
    centroid: Array.from(final.centroid, (value) => round(value, 7)),
  };
  await writeArtifact(settings.out, artifact);
}

interface Samples {
  embedderModel: string;
  /** Labelled people/ faces, for fitting and scoring. */
  faces: Sample[];
  /** Never fitted on: checks of the final sphere. */
  groupFaces: Float32Array[];
  blurryFaces: Float32Array[];
  trash: TrashSample[];
}

async function collectSamples(settings: CommonSettings, photos: readonly DatasetPhoto[], pictures: readonly Picture[]): Promise<Samples> {
  const options = { modelsDir: settings.models, runtime: settings.runtime, decode: DECODE_OPTIONS };
  const analyzer = await FaceAnalyzer.create(options);
  try {
    const harvester = await FaceAnalyzer.create({ ...options, detector: HARVEST_DETECTOR });
    try {
      const ofKind = (kind: DatasetPhoto['kind']) => photos.filter((photo) => photo.kind === kind);
      return {
        embedderModel: analyzer.embedderFamily,
        faces: await labelledFaces(analyzer, settings.dataset, photos),
        groupFaces: await allFaces(analyzer, settings.dataset, ofKind('groups')),
        blurryFaces: await allFaces(analyzer, settings.dataset, ofKind('blurry')),
        trash: [...(await harvestDetections(harvester, pictures)), ...(await gridCrops(analyzer, pictures))],
      };
    } finally {
      await harvester.close();
    }
  } finally {
    await analyzer.close();
  }
}

async function nonFacePictures(datasetDir: string, photos: readonly DatasetPhoto[]): Promise<Picture[]> {
  const noface = photos.filter((photo) => photo.kind === 'noface');
  const fromDataset = await Promise.all(
    noface.map(async (photo, index) => ({
      name: photo.path,
      bytes: await readFile(join(datasetDir, photo.path)),
      fold: (index % 2) as Fold,
      generated: false,
    })),
  );
  const generated = (await generateNonFaces(GENERATED_PER_CATEGORY, SEED)).map((image, index) => ({
    name: `generated/${image.name}`,
    bytes: image.png,
    fold: (index % 2) as Fold,
    generated: true,
  }));
  return [...fromDataset, ...generated];
}

/** Identities alternate between the folds (sorted by name), so no person is on both sides. */
async function labelledFaces(analyzer: FaceAnalyzer, datasetDir: string, photos: readonly DatasetPhoto[]): Promise<Sample[]> {
  const people = photos.filter((photo) => photo.kind === 'people');
  const identities = [...new Set(people.map((photo) => photo.identity ?? ''))].sort();
  const analyses = await analyzePhotos(analyzer, datasetDir, people, { progress: (m) => log(`[trash] faces: ${m}`) });
  return people.flatMap((photo, index) => {
    const analysis = analyses[index];
    const face = analysis instanceof Error ? undefined : labelledFace(analysis);
    if (!face) return [];
    return [{ embedding: face.embedding, fold: (identities.indexOf(photo.identity ?? '') % 2) as Fold }];
  });
}

async function allFaces(analyzer: FaceAnalyzer, datasetDir: string, photos: readonly DatasetPhoto[]): Promise<Float32Array[]> {
  const analyses = await analyzePhotos(analyzer, datasetDir, photos, { progress: (m) => log(`[trash] groups: ${m}`) });
  return analyses.flatMap((analysis) => (analysis instanceof Error ? [] : analysis.faces.map((face) => face.embedding)));
}

async function harvestDetections(harvester: FaceAnalyzer, pictures: readonly Picture[]): Promise<TrashSample[]> {
  const analyses: (PhotoAnalysis | Error)[] = [];
  for (let start = 0; start < pictures.length; start += DEFAULT_BATCH) {
    analyses.push(...(await harvester.analyzeMany(pictures.slice(start, start + DEFAULT_BATCH).map((picture) => picture.bytes))));
  }
  log(`[trash] harvested detector false positives on ${pictures.length} pictures`);
  return pictures.flatMap((picture, index) => {
    const analysis = analyses[index];
    if (analysis instanceof Error) throw new Error(`${picture.name}: ${analysis.message}`);
    return analysis.faces.map((face) => ({
      embedding: face.embedding,
      fold: picture.fold,
      source: picture.generated ? ('generated-detections' as const) : ('noface-detections' as const),
    }));
  });
}

async function gridCrops(analyzer: FaceAnalyzer, pictures: readonly Picture[]): Promise<TrashSample[]> {
  const random = seededRandom(SEED);
  const samples: TrashSample[] = [];
  for (const picture of pictures) {
    const decoded = await decodePhoto(picture.bytes, DECODE_OPTIONS);
    const count = picture.generated ? CROPS_PER_GENERATED_PICTURE : CROPS_PER_NOFACE_PHOTO;
    const regions = gridRegions(decoded.image.width, decoded.image.height, random, count);
    const analysis = await analyzer.analyzeRegions(decoded, regions);
    for (const face of analysis.faces) {
      samples.push({
        embedding: face.embedding,
        fold: picture.fold,
        source: picture.generated ? 'generated-crops' : 'noface-crops',
      });
    }
  }
  log(`[trash] embedded ${samples.length} grid crops of ${pictures.length} pictures`);
  return samples;
}

interface Sphere {
  centroid: Float32Array;
  threshold: number;
  /** AUC on the data it was fitted on. */
  auc: number;
  tpr: number;
  fpr: number;
}

/** Centroid of the trash, then the radius by ROC of trash vs faces. */
function fit(faces: readonly Sample[], trash: readonly Sample[]): Sphere {
  const centroid = trashCentroid(trash.map((sample) => sample.embedding));
  const positives = similarities(trash, centroid);
  const negatives = similarities(faces, centroid);
  const choice = trashSideCut(positives, negatives);
  return { centroid, threshold: choice.threshold, auc: rocAuc(positives, negatives), tpr: choice.tpr, fpr: choice.fpr };
}

/**
 * The highest threshold catching MIN_TRASH_CAUGHT of the trash (midway to the next trash score
 * below it), unless that rejects more than MAX_FACE_REJECTION of the faces: then the best
 * Youden J within that limit.
 */
function trashSideCut(trash: readonly number[], faces: readonly number[]): { threshold: number; tpr: number; fpr: number } {
  const sorted = [...trash].sort((a, b) => b - a);
  const index = Math.min(sorted.length - 1, Math.ceil(MIN_TRASH_CAUGHT * sorted.length) - 1);
  const threshold = index + 1 < sorted.length ? (sorted[index] + sorted[index + 1]) / 2 : sorted[index];
  const tpr = trash.filter((value) => value >= threshold).length / trash.length;
  const fpr = faces.filter((value) => value >= threshold).length / Math.max(1, faces.length);
  return fpr <= MAX_FACE_REJECTION ? { threshold, tpr, fpr } : chooseThreshold(trash, faces, youden, MAX_FACE_REJECTION);
}

interface FoldResult {
  fold: Fold;
  calibration: Sphere;
  heldOut: { auc: number; trashCaught: number; facesRejected: number; aucBySource: Partial<Record<TrashSource, number>> };
  counts: { trainFaces: number; trainTrash: number; testFaces: number; testTrash: number };
}

/** Fits on `fold`, scores on the other one. */
function crossValidate(fold: Fold, faces: readonly Sample[], trash: readonly TrashSample[]): FoldResult {
  const trainFaces = faces.filter((sample) => sample.fold === fold);
  const trainTrash = trash.filter((sample) => sample.fold === fold);
  const testFaces = faces.filter((sample) => sample.fold !== fold);
  const testTrash = trash.filter((sample) => sample.fold !== fold);
  const sphere = fit(trainFaces, trainTrash);
  const faceScores = similarities(testFaces, sphere.centroid);
  const trashScores = similarities(testTrash, sphere.centroid);
  const aucBySource: Partial<Record<TrashSource, number>> = {};
  for (const source of sources(testTrash)) {
    aucBySource[source] = rocAuc(similarities(testTrash.filter((sample) => sample.source === source), sphere.centroid), faceScores);
  }
  return {
    fold,
    calibration: sphere,
    heldOut: {
      auc: rocAuc(trashScores, faceScores),
      trashCaught: rate(trashScores, sphere.threshold),
      facesRejected: rate(faceScores, sphere.threshold),
      aucBySource,
    },
    counts: { trainFaces: trainFaces.length, trainTrash: trainTrash.length, testFaces: testFaces.length, testTrash: testTrash.length },
  };
}

function printReport(
  datasetDir: string,
  faces: readonly Sample[],
  trash: readonly TrashSample[],
  folds: readonly FoldResult[],
  final: Sphere,
  heldOutAuc: number,
): void {
  console.log(`trash calibration on ${datasetName(datasetDir)}: ${faces.length} faces, ${trash.length} trash samples`);
  console.log(`  trash by source: ${Object.entries(countBySource(trash)).map(([source, count]) => `${source} ${count}`).join(', ')}`);
  for (const { fold, calibration, heldOut, counts } of folds) {
    console.log(
      `fold ${fold}: fitted on ${counts.trainTrash} trash / ${counts.trainFaces} faces: AUC ${calibration.auc.toFixed(4)}, ` +
        `threshold ${calibration.threshold.toFixed(4)} (trash caught ${pct(calibration.tpr)}, faces rejected ${pct(calibration.fpr)})`,
    );
    console.log(
      `        held out ${counts.testTrash} trash / ${counts.testFaces} faces: AUC ${heldOut.auc.toFixed(4)}, ` +
        `trash caught ${pct(heldOut.trashCaught)}, faces rejected ${pct(heldOut.facesRejected)}; AUC by source: ` +
        Object.entries(heldOut.aucBySource).map(([source, auc]) => `${source} ${auc.toFixed(4)}`).join(', '),
    );
  }
  const curve = rocCurve(similarities(trash, final.centroid), similarities(faces, final.centroid));
  console.log(`fitted on all (committed): ROC, "trash" = cosine to centroid ≥ threshold (TPR: trash caught, FPR: faces rejected):`);
  console.log(formatRoc(sampleRoc(curve, REPORTED_ROC), (t) => t.toFixed(4)));
  console.log(`ROC AUC calibration ${final.auc.toFixed(4)}, held-out (mean of 2 folds) ${heldOutAuc.toFixed(4)}`);
  const faceScores = similarities(faces, final.centroid);
  const trashScores = similarities(trash, final.centroid);
  console.log(
    `threshold ${final.threshold.toFixed(4)}: trash caught ${pct(final.tpr)}, faces rejected ${pct(final.fpr)} ` +
      `(faces' cosine to the centroid ≤ ${Math.max(...faceScores).toFixed(4)}, trash ≥ ${Math.min(...trashScores).toFixed(4)})`,
  );
}

/** Faces never used for fitting: how many the committed sphere would call trash. */
function printUnseenFaces(sphere: Sphere, sets: Record<string, Float32Array[]>): void {
  for (const [name, embeddings] of Object.entries(sets)) {
    const scores = embeddings.map((embedding) => trashSimilarity(embedding, sphere.centroid));
    const inside = scores.filter((score) => score >= sphere.threshold).length;
    const highest = scores.length ? Math.max(...scores).toFixed(4) : '-';
    console.log(`${name} faces (never fitted on): ${inside}/${scores.length} inside the sphere, highest cosine ${highest}`);
  }
}

function similarities(samples: readonly Sample[], centroid: Float32Array): number[] {
  return samples.map((sample) => trashSimilarity(sample.embedding, centroid));
}

function rate(scores: readonly number[], threshold: number): number {
  return scores.length === 0 ? 0 : scores.filter((score) => score >= threshold).length / scores.length;
}

function sources(samples: readonly TrashSample[]): TrashSource[] {
  return [...new Set(samples.map((sample) => sample.source))].sort();
}

function countBySource(samples: readonly TrashSample[]): Record<string, number> {
  return Object.fromEntries(sources(samples).map((source) => [source, samples.filter((sample) => sample.source === source).length]));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
