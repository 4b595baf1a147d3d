import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cosineSimilarity,
  FaceAnalyzer,
  type AnalyzedFace,
  type DecodeOptions,
  type DetectedFaceKind,
  type MtcnnOptions,
  type OnnxRuntimeOptions,
  type PhotoAnalysis,
  type EmbeddingPrecision,
} from '@facecloud/vision';
import { analyzePhotos, silentProgress, type Progress } from './analyze-dataset';
import { scanDataset, type DatasetPhoto, type PhotoKind } from './dataset';
import { simulateIncremental, type IncrementalReport } from './incremental';
import { labelledFace } from './labelled-face';
import { DEFAULT_SUB_LIBRARY_SEED, defaultGroupingSettings, scoreLibrary, subLibrary, type LibraryFace, type LibraryScores } from './library-clustering';
import {
  bcubedScores,
  bestAccuracy,
  bestBalancedAccuracy,
  mean,
  pairwiseScores,
  rocAuc,
  tarAtFar,
  type AccuracyAtThreshold,
  type PrecisionRecall,
  type TarAtFar,
} from './metrics';

/*
 * The evaluation: runs the real pipeline (FaceAnalyzer, then HDBSCAN + one face per photo as the
 * clusterer does) over a folder laid out as people/<identity>/*, groups/, noface/, blurry/ and
 * measures detection, verification, the blur and trash filters and clustering.
 */

export interface EvalOptions {
  datasetDir: string;
  modelsDir: string;
  runtime: OnnxRuntimeOptions;
  /** Flip TTA of the main run; verification is measured with it on and off either way. */
  flipAugment: boolean;
  /** MobileFaceNet float32 (default) or int8 (FaceAnalyzerOptions.embeddingPrecision). */
  embeddingPrecision?: EmbeddingPrecision | 'auto';
  decode?: DecodeOptions;
  /** Quality artifacts (default: the ones bundled with the vision library). */
  artifactsDir?: string;
  /** Photos per analyzeMany call. */
  batch?: number;
  /** Sizes (in photos) of random sub-libraries, by identity, clustered besides the full library. */
  subLibraries?: readonly number[];
  /** Seed of the sub-libraries' draw and of the upload order (default DEFAULT_SUB_LIBRARY_SEED). */
  seed?: number;
  /** Also simulate uploads in a random order with incremental assignment and scheduled runs (simulateIncremental). */
  incremental?: boolean;
  progress?: Progress;
}

/** Fixed thresholds scored on the full library beside the product's own choice: the curve the rule is read against. */
export const THRESHOLD_CURVE: readonly number[] = [0.45, 0.5, 0.55, 0.6, 0.65];
export const TARGET_FAR = 1e-3;
/** The production decode defaults (DETECT_MAX_SIDE, DECODE_MAX_INPUT_PIXELS). */
export const EVAL_DECODE: DecodeOptions = { maxSide: 1024, maxInputPixels: 100_000_000 };
/** Low cascade thresholds for harvesting hard non-faces on noface/ (as tools/calibrate/trash.ts). */
const HARVEST_DETECTOR: Partial<MtcnnOptions> = { thresholds: [0.2, 0.1, 0.05], minFaceSize: 20 };
/** How many examples of each kind of error the HTML report shows. */
const GALLERY_LIMIT = 12;

export interface VerificationReport {
  faces: number;
  identities: number;
  samePairs: number;
  differentPairs: number;
  meanSame: number;
  meanDifferent: number;
  auc: number;
  /** Over all pairs (dominated by the many different pairs). */
  accuracy: AccuracyAtThreshold;
  /** Mean of TAR and 1 − FAR. */
  balancedAccuracy: AccuracyAtThreshold;
  tarAtFar1e3: TarAtFar;
}

export interface FilterReport {
  /** Items that should be caught (blurry faces, non-faces) and items that should pass (faces). */
  positives: number;
  negatives: number;
  /** null when either side is empty. */
  auc: number | null;
  threshold: number;
  caught: number;
  wronglyCaught: number;
}

export interface EvalReport {
  dataset: {
    dir: string;
    photos: Record<PhotoKind, number>;
    identities: number;
    unreadable: { path: string; error: string }[];
  };
  pipeline: {
    embedder: string;
    executionProvider: string;
    flipAugment: boolean;
    thresholds: { blur: number; trash: number };
    seconds: number;
  };
  detection: {
    people: { photos: number; withoutFace: number; facesPerPhoto: Record<'0' | '1' | '2' | '3+', number>; meanFaces: number };
    blurry: { photos: number; withoutFace: number };
    groups: { photos: number; faces: number };
    noface: {
      photos: number;
      faces: number;
      photosWithFaces: number;
      facesAfterTrashFilter: number;
      photosWithFacesAfterTrashFilter: number;
    };
    /** Kinds given to the labelled face of people/ and blurry/ photos. */
    labelledKinds: { people: Record<DetectedFaceKind, number>; blurry: Record<DetectedFaceKind, number> };
    labelledPhotosWithoutFace: string[];
  };
  verification: { flipOn: VerificationReport; flipOff: VerificationReport };
  filters: {
    /** Labelled faces of blurry/ (positives) vs people/ (negatives), by sharpness. */
    blur: FilterReport;
    /** Production detections on noface/ (positives) vs labelled people/ faces, by cosine to the trash centroid. */
    trash: FilterReport;
    /** The same with the hard non-faces a low-threshold detector finds on noface/. */
    trashHardNegatives: FilterReport;
    note: string;
  };
  /**
   * Persons of the library (every face kept as a face, labelled or not) as a clustering run of
   * the service makes them with its default settings, scored over the labelled faces: the full
   * library and random sub-libraries, with average linkage (the product) and HDBSCAN (before).
   */
  clustering: {
    libraries: Array<{ after: LibraryScores; before: LibraryScores }>;
    /** Average linkage at fixed thresholds on the full library. */
    thresholdCurve: LibraryScores[];
    /** Cosine of labelled faces of different identities (the threshold rule's impostor model). */
    impostors: { pairs: number; mean: number; sd: number };
    /** With the incremental option: persons between runs against a final full run. */
    incremental?: IncrementalReport;
  };
}

/** Pictures for the HTML report: what went wrong, with the faces to look at. */
export interface GallerySection {
  title: string;
  note: string;
  items: { caption: string; images: Buffer[] }[];
}

export interface EvalResult {
  report: EvalReport;
  gallery: GallerySection[];
}

/** A labelled face: the centred, largest face of a people/ (or blurry/) photo. */
interface LabelledFace {
  photo: DatasetPhoto;
  identity: string;
  face: AnalyzedFace;
}

export async function runEvaluation(options: EvalOptions): Promise<EvalResult> {
  const started = performance.now();
  const photos = scanDataset(options.datasetDir);
  options.progress?.(`[eval] ${photos.length} photos in ${options.datasetDir}`);
  const runs = await runPipeline(options, photos);

  const people = photos.filter((photo) => photo.kind === 'people');
  const analyses = new Map(photos.map((photo, index) => [photo, runs.analyses[index]]));
  const otherFlip = new Map(people.map((photo, index) => [photo, runs.otherFlip[index]]));
  const analysisOf = (photo: DatasetPhoto) => analyses.get(photo);
  const labelled = labelledFaces(people, analysisOf);
  const labelledOther = labelledFaces(people, (photo) => otherFlip.get(photo));
  const blurry = labelledFaces(photos.filter((photo) => photo.kind === 'blurry'), analysisOf);
  const nofaceFaces = photos.flatMap((photo) => (photo.kind === 'noface' ? successful(analysisOf(photo)).map((face) => ({ photo, face })) : []));
  const { thresholds } = runs;

  const [flipOn, flipOff] = options.flipAugment ? [labelled, labelledOther] : [labelledOther, labelled];
  const verification = { flipOn: verify(flipOn), flipOff: verify(flipOff) };
  const mainVerification = options.flipAugment ? verification.flipOn : verification.flipOff;
  const clustering = await clusterLibraries(libraryFaces(photos, analysisOf), labelled, options);

  const report: EvalReport = {
    dataset: {
      dir: options.datasetDir,
      photos: countKinds(photos),
      identities: new Set(people.map((photo) => photo.identity)).size,
      unreadable: photos.flatMap((photo, index) => {
        const result = runs.analyses[index];
        return result instanceof Error ? [{ path: photo.path, error: result.message }] : [];
      }),
    },
    pipeline: {
      embedder: runs.embedder,
      executionProvider: runs.executionProvider,
      flipAugment: options.flipAugment,
      thresholds,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    },
    detection: detectionReport(photos, runs.analyses, labelled, blurry, thresholds.trash),
    verification,
    filters: filtersReport(labelled, blurry, nofaceFaces.map((item) => item.face), runs.hardNegatives, thresholds),
    clustering: clustering.report,
  };
  const gallery = [
    await detectionErrors(options.datasetDir, report.detection.labelledPhotosWithoutFace),
    ...verificationErrors(labelled, mainVerification.accuracy.threshold),
    ...filterErrors(labelled, blurry, nofaceFaces, thresholds),
    clustering.errors,
  ];
  return { report, gallery };
}

interface PipelineRuns {
  /** The main run, one entry per photo. */
  analyses: (PhotoAnalysis | Error)[];
  /** people/ photos again with the other flip setting. */
  otherFlip: (PhotoAnalysis | Error)[];
  /** Everything a low-threshold detector finds on noface/. */
  hardNegatives: AnalyzedFace[];
  embedder: string;
  executionProvider: string;
  thresholds: { blur: number; trash: number };
}

async function runPipeline(options: EvalOptions, photos: readonly DatasetPhoto[]): Promise<PipelineRuns> {
  const flip = options.flipAugment;
  const main = await withAnalyzer(createAnalyzer(options, flip), async (analyzer) => ({
    analyses: await analyze(analyzer, options, photos, `[eval] flip ${onOff(flip)}:`),
    embedder: analyzer.embedderName,
    executionProvider: analyzer.executionProvider,
    thresholds: { ...analyzer.thresholds },
  }));
  // Detection does not depend on the flip, so the labelled faces are the same ones.
  const otherFlip = await withAnalyzer(createAnalyzer(options, !flip), (analyzer) =>
    analyze(analyzer, options, photos.filter((photo) => photo.kind === 'people'), `[eval] flip ${onOff(!flip)}:`),
  );
  const hardNegatives = await withAnalyzer(createAnalyzer(options, flip, HARVEST_DETECTOR), async (analyzer) => {
    const results = await analyze(analyzer, options, photos.filter((photo) => photo.kind === 'noface'), '[eval] noface, low thresholds:');
    return results.flatMap(successful);
  });
  return { ...main, otherFlip, hardNegatives };
}

function createAnalyzer(options: EvalOptions, flipAugment: boolean, detector?: Partial<MtcnnOptions>): Promise<FaceAnalyzer> {
  return FaceAnalyzer.create({
    modelsDir: options.modelsDir,
    runtime: options.runtime,
    decode: options.decode ?? EVAL_DECODE,
    flipAugment,
    ...(options.embeddingPrecision ? { embeddingPrecision: options.embeddingPrecision } : {}),
    ...(options.artifactsDir ? { artifactsDir: options.artifactsDir } : {}),
    ...(detector ? { detector } : {}),
  });
}

async function withAnalyzer<T>(creating: Promise<FaceAnalyzer>, use: (analyzer: FaceAnalyzer) => Promise<T>): Promise<T> {
  const analyzer = await creating;
  try {
    return await use(analyzer);
  } finally {
    await analyzer.close();
  }
}

function analyze(analyzer: FaceAnalyzer, options: EvalOptions, photos: readonly DatasetPhoto[], label: string) {
  return analyzePhotos(analyzer, options.datasetDir, photos, { batch: options.batch, progress: options.progress, label });
}

function labelledFaces(
  photos: readonly DatasetPhoto[],
  analysisOf: (photo: DatasetPhoto) => PhotoAnalysis | Error | undefined,
): LabelledFace[] {
  return photos.flatMap((photo) => {
    const analysis = analysisOf(photo);
    const face = analysis && !(analysis instanceof Error) ? labelledFace(analysis) : undefined;
    if (!face) return [];
    return [{ photo, identity: photo.identity ?? photo.path, face }];
  });
}

function successful(result: PhotoAnalysis | Error | undefined): AnalyzedFace[] {
  return result && !(result instanceof Error) ? result.faces : [];
}

function countKinds(photos: readonly DatasetPhoto[]): Record<PhotoKind, number> {
  const counts: Record<PhotoKind, number> = { people: 0, groups: 0, noface: 0, blurry: 0 };
  for (const photo of photos) counts[photo.kind]++;
  return counts;
}

function detectionReport(
  photos: readonly DatasetPhoto[],
  analyses: readonly (PhotoAnalysis | Error)[],
  labelled: readonly LabelledFace[],
  blurry: readonly LabelledFace[],
  trashThreshold: number,
): EvalReport['detection'] {
  const facesOf = (kind: PhotoKind) =>
    photos.flatMap((photo, index) => (photo.kind === kind ? [{ photo, faces: successful(analyses[index]) }] : []));
  const people = facesOf('people');
  const histogram = { '0': 0, '1': 0, '2': 0, '3+': 0 };
  for (const { faces } of people) histogram[faces.length >= 3 ? '3+' : (String(faces.length) as '0' | '1' | '2')]++;
  const noface = facesOf('noface');
  const kept = (faces: readonly AnalyzedFace[]) => faces.filter((face) => face.trashSimilarity < trashThreshold);
  return {
    people: {
      photos: people.length,
      withoutFace: histogram['0'],
      facesPerPhoto: histogram,
      meanFaces: mean(people.map(({ faces }) => faces.length)),
    },
    blurry: { photos: facesOf('blurry').length, withoutFace: facesOf('blurry').filter(({ faces }) => faces.length === 0).length },
    groups: { photos: facesOf('groups').length, faces: facesOf('groups').reduce((sum, { faces }) => sum + faces.length, 0) },
    noface: {
      photos: noface.length,
      faces: noface.reduce((sum, { faces }) => sum + faces.length, 0),
      photosWithFaces: noface.filter(({ faces }) => faces.length > 0).length,
      facesAfterTrashFilter: noface.reduce((sum, { faces }) => sum + kept(faces).length, 0),
      photosWithFacesAfterTrashFilter: noface.filter(({ faces }) => kept(faces).length > 0).length,
    },
    labelledKinds: { people: countFaceKinds(labelled), blurry: countFaceKinds(blurry) },
    labelledPhotosWithoutFace: [...people, ...facesOf('blurry')].filter(({ faces }) => faces.length === 0).map(({ photo }) => photo.path),
  };
}

function countFaceKinds(faces: readonly LabelledFace[]): Record<DetectedFaceKind, number> {
  const counts: Record<DetectedFaceKind, number> = { face: 0, blurry: 0, trash: 0 };
  for (const { face } of faces) counts[face.kind]++;
  return counts;
}

/** All same/different pairs of labelled faces. */
function pairSimilarities(faces: readonly LabelledFace[]): { same: number[]; different: number[] } {
  const same: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      const similarity = cosineSimilarity(faces[i].face.embedding, faces[j].face.embedding);
      (faces[i].identity === faces[j].identity ? same : different).push(similarity);
    }
  }
  return { same, different };
}

function verify(faces: readonly LabelledFace[]): VerificationReport {
  const { same, different } = pairSimilarities(faces);
  const enough = same.length > 0 && different.length > 0;
  return {
    faces: faces.length,
    identities: new Set(faces.map((item) => item.identity)).size,
    samePairs: same.length,
    differentPairs: different.length,
    meanSame: mean(same),
    meanDifferent: mean(different),
    auc: rocAuc(same, different),
    accuracy: enough ? bestAccuracy(same, different) : { accuracy: Number.NaN, threshold: Number.NaN },
    balancedAccuracy: enough ? bestBalancedAccuracy(same, different) : { accuracy: Number.NaN, threshold: Number.NaN },
    tarAtFar1e3: tarAtFar(same, different, TARGET_FAR),
  };
}

function filtersReport(
  labelled: readonly LabelledFace[],
  blurry: readonly LabelledFace[],
  nofaceFaces: readonly AnalyzedFace[],
  hardNegatives: readonly AnalyzedFace[],
  thresholds: { blur: number; trash: number },
): EvalReport['filters'] {
  return {
    blur: filterReport(
      blurry.map((item) => item.face.sharpness),
      labelled.map((item) => item.face.sharpness),
      thresholds.blur,
      'below',
    ),
    trash: trashReport(nofaceFaces, labelled, thresholds.trash),
    trashHardNegatives: trashReport(hardNegatives, labelled, thresholds.trash),
    note:
      'The trash sphere and blur threshold were calibrated on the dev set (tools/calibrate): on it these filter ' +
      'numbers are in-sample; on any other folder they are held-out.',
  };
}

/** `caughtWhen`: which side of the threshold the filter catches. */
function filterReport(
  positives: readonly number[],
  negatives: readonly number[],
  threshold: number,
  caughtWhen: 'below' | 'atOrAbove',
): FilterReport {
  const caught = (value: number) => (caughtWhen === 'below' ? value < threshold : value >= threshold);
  const score = (value: number) => (caughtWhen === 'below' ? -value : value);
  const auc = rocAuc(positives.map(score), negatives.map(score));
  return {
    positives: positives.length,
    negatives: negatives.length,
    auc: Number.isNaN(auc) ? null : auc,
    threshold,
    caught: positives.filter(caught).length,
    wronglyCaught: negatives.filter(caught).length,
  };
}

function trashReport(nonFaces: readonly AnalyzedFace[], faces: readonly LabelledFace[], threshold: number): FilterReport {
  return filterReport(
    nonFaces.map((face) => face.trashSimilarity),
    faces.map((item) => item.face.trashSimilarity),
    threshold,
    'atOrAbove',
  );
}

/** Every face the pipeline kept as a face, with its identity where it is a photo's labelled face. */
function libraryFaces(photos: readonly DatasetPhoto[], analysisOf: (photo: DatasetPhoto) => PhotoAnalysis | Error | undefined): LibraryFace[] {
  return photos.flatMap((photo) => {
    const analysis = analysisOf(photo);
    if (!analysis || analysis instanceof Error) return [];
    const labelled = photo.identity ? labelledFace(analysis) : undefined;
    return analysis.faces
      .filter((face) => face.kind === 'face')
      .map((face) => ({ photo, face, identity: face === labelled ? photo.identity! : null }));
  });
}

/** The library's persons at each size, after (average linkage) and before (HDBSCAN), the threshold curve and the impostor scores. */
async function clusterLibraries(
  faces: readonly LibraryFace[],
  labelled: readonly LabelledFace[],
  options: EvalOptions,
): Promise<{ report: EvalReport['clustering']; errors: GallerySection }> {
  const after = defaultGroupingSettings('average-linkage');
  const before = defaultGroupingSettings('hdbscan');
  const seed = options.seed ?? DEFAULT_SUB_LIBRARY_SEED;
  const sizes = [...new Set(options.subLibraries ?? [])].filter((size) => size > 0).sort((a, b) => a - b);
  const libraries: EvalReport['clustering']['libraries'] = [];
  let full: { faces: readonly LibraryFace[]; persons: number[][] } | undefined;
  for (const size of [...sizes, Infinity]) {
    const name = Number.isFinite(size) ? String(size) : 'full';
    const library = Number.isFinite(size) ? subLibrary(faces, size, seed) : faces;
    options.progress?.(`[eval] clustering the ${name} library (${library.length} faces)`);
    const ours = await scoreLibrary(name, library, after);
    libraries.push({ after: ours.scores, before: (await scoreLibrary(name, library, before)).scores });
    if (!Number.isFinite(size)) full = { faces: library, persons: ours.persons };
  }
  const thresholdCurve: LibraryScores[] = [];
  for (const threshold of THRESHOLD_CURVE) {
    thresholdCurve.push((await scoreLibrary(`full at ${threshold}`, faces, { ...after, linkageThreshold: threshold })).scores);
  }
  const mixed = (full?.persons ?? []).filter((members) => new Set(members.flatMap((i) => full!.faces[i].identity ?? [])).size > 1);
  const errors: GallerySection = {
    title: 'Persons mixing identities',
    note: 'full library, average linkage at the threshold the run chose; unlabelled faces captioned "?"',
    items: mixed.slice(0, GALLERY_LIMIT).map((members) => ({
      caption: members.map((i) => full!.faces[i].identity ?? '?').join(', '),
      images: members.map((i) => full!.faces[i].face.thumbnailJpeg),
    })),
  };
  let incremental: IncrementalReport | undefined;
  if (options.incremental) {
    options.progress?.(`[eval] uploads in a random order with incremental assignment and scheduled runs`);
    incremental = await simulateIncremental(faces, seed);
  }
  return { report: { libraries, thresholdCurve, impostors: impostorScores(labelled), ...(incremental ? { incremental } : {}) }, errors };
}

/** Mean and sd of the cosine between labelled faces of different identities. */
function impostorScores(faces: readonly LabelledFace[]): EvalReport['clustering']['impostors'] {
  let pairs = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      if (faces[i].identity === faces[j].identity) continue;
      const similarity = cosineSimilarity(faces[i].face.embedding, faces[j].face.embedding);
      pairs++;
      sum += similarity;
      sumSquares += similarity * similarity;
    }
  }
  const mean = pairs ? sum / pairs : 0;
  const sd = pairs ? Math.sqrt(Math.max(0, sumSquares / pairs - mean * mean)) : 0;
  return { pairs, mean: Math.round(mean * 10_000) / 10_000, sd: Math.round(sd * 10_000) / 10_000 };
}

/** The worst false rejects and false accepts at the best-accuracy threshold. */
function verificationErrors(faces: readonly LabelledFace[], threshold: number): GallerySection[] {
  const rejects: { similarity: number; a: LabelledFace; b: LabelledFace }[] = [];
  const accepts: { similarity: number; a: LabelledFace; b: LabelledFace }[] = [];
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      const similarity = cosineSimilarity(faces[i].face.embedding, faces[j].face.embedding);
      const same = faces[i].identity === faces[j].identity;
      if (same && similarity < threshold) rejects.push({ similarity, a: faces[i], b: faces[j] });
      if (!same && similarity >= threshold) accepts.push({ similarity, a: faces[i], b: faces[j] });
    }
  }
  const item = ({ similarity, a, b }: { similarity: number; a: LabelledFace; b: LabelledFace }) => ({
    caption: `${a.photo.path} · ${b.photo.path}: cosine ${similarity.toFixed(3)}`,
    images: [a.face.thumbnailJpeg, b.face.thumbnailJpeg],
  });
  const note = `at the best-accuracy threshold, cosine ${threshold.toFixed(3)}`;
  return [
    {
      title: 'Verification: same person, rejected',
      note,
      items: rejects.sort((x, y) => x.similarity - y.similarity).slice(0, GALLERY_LIMIT).map(item),
    },
    {
      title: 'Verification: different people, accepted',
      note,
      items: accepts.sort((x, y) => y.similarity - x.similarity).slice(0, GALLERY_LIMIT).map(item),
    },
  ];
}

async function detectionErrors(datasetDir: string, paths: readonly string[]): Promise<GallerySection> {
  const items = await Promise.all(
    paths.slice(0, GALLERY_LIMIT).map(async (path) => ({ caption: path, images: [await readFile(join(datasetDir, path))] })),
  );
  return { title: 'Labelled photos without a face', note: `${paths.length} in all`, items };
}

function filterErrors(
  labelled: readonly LabelledFace[],
  blurry: readonly LabelledFace[],
  noface: readonly { photo: DatasetPhoto; face: AnalyzedFace }[],
  thresholds: { blur: number; trash: number },
): GallerySection[] {
  const faceItem = (path: string, face: AnalyzedFace) => ({
    caption: `${path}: sharpness ${face.sharpness.toFixed(1)}, trash cosine ${face.trashSimilarity.toFixed(3)}, quality ${face.quality.toFixed(2)}`,
    images: [face.thumbnailJpeg],
  });
  const pick = (items: readonly { photo: DatasetPhoto; face: AnalyzedFace }[], wrong: (face: AnalyzedFace) => boolean) =>
    items.filter(({ face }) => wrong(face)).slice(0, GALLERY_LIMIT).map(({ photo, face }) => faceItem(photo.path, face));
  return [
    {
      title: 'Blur filter: sharp labelled faces called blurry',
      note: `sharpness < ${thresholds.blur}`,
      items: pick(labelled, (face) => face.sharpness < thresholds.blur),
    },
    {
      title: 'Blur filter: blurry/ faces it missed',
      note: `sharpness ≥ ${thresholds.blur}`,
      items: pick(blurry, (face) => face.sharpness >= thresholds.blur),
    },
    {
      title: 'Trash filter: labelled faces inside the trash sphere',
      note: `cosine to the trash centroid ≥ ${thresholds.trash}`,
      items: pick(labelled, (face) => face.trashSimilarity >= thresholds.trash),
    },
    {
      title: 'Trash filter: detections on noface/ it let through',
      note: `cosine to the trash centroid < ${thresholds.trash}`,
      items: pick(noface, (face) => face.trashSimilarity < thresholds.trash),
    },
  ];
}

function countBy<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function onOff(flag: boolean): string {
  return flag ? 'on' : 'off';
}
