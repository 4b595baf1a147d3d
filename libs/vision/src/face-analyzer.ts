import { ALIGNED_FACE_SIZE, alignmentTransform } from './align';
import { cpuHasInt8DotProduct } from './cpu-int8';
import { decodePhoto, type DecodedPhoto, type DecodeOptions } from './decode';
import { MobileFaceNetEmbedder, type EmbeddingPrecision } from './embedder';
import { createRgbImage, RGB_CHANNELS, type Box, type Point, type RgbImage } from './image';
import { MtcnnDetector, type FaceDetection } from './mtcnn/detector';
import type { MtcnnOptions } from './mtcnn/options';
import type { ExecutionProvider, OnnxRuntimeOptions } from './onnx-session';
import { loadBlurArtifact, loadTrashArtifact, trashCentroidOf } from './quality/artifacts';
import { faceSharpness } from './quality/blur';
import { classifyFace, type FaceFilterThresholds, type DetectedFaceKind } from './quality/classify';
import { faceQuality } from './quality/face-quality';
import { trashSimilarity } from './quality/trash-sphere';
import { timeStage, type StageTimer } from './stage-timer';
import { encodeJpeg } from './thumbnail';
import { l2NormalizeInPlace } from './vector';
import { warpAffine } from './warp';

export interface FaceAnalyzerOptions {
  modelsDir: string;
  runtime: OnnxRuntimeOptions;
  decode: DecodeOptions;
  detector?: Partial<MtcnnOptions>;
  /** Side of the aligned thumbnail JPEG (default 112, the embedder's own crop). */
  thumbnailSize?: number;
  /**
   * Flip test-time augmentation (default true): embed the face and its mirror image, average,
   * re-normalise. Costs a second embedding per face; makes embeddings less pose-sensitive.
   */
  flipAugment?: boolean;
  /**
   * MobileFaceNet in float32 or int8 (docs/models.md); auto = int8 on a CPU with int8 dot
   * products, float32 on other CPUs and on CUDA (resolvePrecision). Default float32.
   */
  embeddingPrecision?: EmbeddingPrecision | 'auto';
  /**
   * Folder holding blur-threshold.json and trash-sphere.json (written by tools/calibrate);
   * default: the calibrated ones bundled with the library (libs/vision/artifacts).
   */
  artifactsDir?: string;
  /** Overrides the calibrated blur threshold (Laplacian variance of the aligned crop). */
  blurThreshold?: number;
  /** Overrides the calibrated trash-sphere radius (cosine similarity to the trash centroid; above 1 = off). */
  trashThreshold?: number;
  /** Told the wall time of every stage of every call (benchmarks, profiling). */
  stageTimer?: StageTimer;
}

export interface AnalyzedFace {
  /** Original photo pixels (after EXIF rotation), clipped to the photo. */
  box: Box;
  score: number;
  /** Original photo pixels; order as in FaceDetection. */
  landmarks: Point[];
  /** L2-normalised. */
  embedding: Float32Array;
  /** The aligned crop as JPEG. */
  thumbnailJpeg: Buffer;
  /** Variance of the Laplacian of the aligned grey crop (see quality/blur.ts); low = blurry. */
  sharpness: number;
  /** In [0, 1]: detection score, size, sharpness and frontal pose combined (see quality/face-quality.ts). */
  quality: number;
  /** Cosine similarity of the embedding to the trash centroid; high = probably not a face. */
  trashSimilarity: number;
  kind: DetectedFaceKind;
}

export interface PhotoAnalysis {
  /** Original size after EXIF rotation. */
  width: number;
  height: number;
  /** Highest detection score first (ties: left to right). */
  faces: AnalyzedFace[];
}

/** What the ingest pipeline needs of an analyzer: FaceAnalyzer in-process, or FaceAnalyzerPool on threads. */
export interface PhotoAnalyzer {
  readonly embedderName: string;
  readonly executionProvider: ExecutionProvider;
  /** How many photos it analyses at once: 1, or the pool's thread count. */
  readonly parallelism: number;
  /** One result per photo, in order: its analysis, or the Error that stopped it (e.g. ImageDecodeError). */
  analyzeMany(photos: readonly Buffer[]): Promise<(PhotoAnalysis | Error)[]>;
  close(): Promise<void>;
}

/** What the analyzer needs of a detector; `detectMany` (one batched run) is used when present. */
interface Detector {
  readonly executionProvider: ExecutionProvider;
  detect(image: RgbImage): Promise<FaceDetection[]>;
  detectMany?(images: readonly RgbImage[], timer?: StageTimer): Promise<FaceDetection[][]>;
  close(): Promise<void>;
}

/** A decoded photo with the face regions to analyse, in the pixels of its working image. */
interface PhotoRegions {
  decoded: DecodedPhoto;
  detections: readonly FaceDetection[];
}

/** Photo bytes → faces with boxes, landmarks, embeddings, aligned thumbnails and quality measures. */
export class FaceAnalyzer implements PhotoAnalyzer {
  readonly embedderName: string;
  /** Embeddings of one family are comparable (float32 and int8 MobileFaceNet). */
  readonly embedderFamily: string;
  readonly embeddingDimension: number;
  readonly parallelism = 1;

  private constructor(
    private readonly detector: Detector,
    private readonly embedder: MobileFaceNetEmbedder,
    private readonly options: FaceAnalyzerOptions,
    /** Thresholds in use: the calibrated ones unless overridden. */
    readonly thresholds: Readonly<FaceFilterThresholds>,
    /** Unit mean embedding of non-faces (trash-sphere.json). */
    readonly trashCentroid: Float32Array,
  ) {
    this.embedderName = embedder.modelName;
    this.embedderFamily = embedder.family;
    this.embeddingDimension = embedder.dimension;
  }

  static async create(opts: FaceAnalyzerOptions): Promise<FaceAnalyzer> {
    const thumbnailSize = opts.thumbnailSize ?? ALIGNED_FACE_SIZE;
    if (!Number.isInteger(thumbnailSize) || thumbnailSize < 16) {
      throw new RangeError(`thumbnailSize must be an integer ≥ 16, got ${thumbnailSize}`);
    }
    const [blurArtifact, trashArtifact] = await Promise.all([
      loadBlurArtifact(opts.artifactsDir),
      loadTrashArtifact(opts.artifactsDir),
    ]);
    const thresholds = {
      blur: opts.blurThreshold ?? blurArtifact.threshold,
      trash: opts.trashThreshold ?? trashArtifact.threshold,
    };
    if (!(thresholds.blur > 0 && Number.isFinite(thresholds.blur))) {
      throw new RangeError(`blurThreshold must be a positive number, got ${thresholds.blur}`);
    }
    if (!Number.isFinite(thresholds.trash)) throw new RangeError(`trashThreshold must be a number, got ${thresholds.trash}`);
    const detector = await MtcnnDetector.create(opts.modelsDir, opts.runtime, opts.detector);
    try {
      // Same provider as the detector, so one photo never runs half on the GPU.
      const embedder = await MobileFaceNetEmbedder.create(
        opts.modelsDir,
        { ...opts.runtime, provider: detector.executionProvider },
        resolvePrecision(opts.embeddingPrecision, detector.executionProvider),
      );
      // The float and int8 models share one trash sphere (their embeddings are comparable).
      if (trashArtifact.embedderModel !== embedder.family || trashArtifact.centroid.length !== embedder.dimension) {
        await embedder.close();
        throw new Error(
          `trash sphere was calibrated for ${trashArtifact.embedderModel} (${trashArtifact.centroid.length}-d), ` +
            `the embedder is ${embedder.modelName} (${embedder.dimension}-d): run tools/calibrate/trash.ts`,
        );
      }
      return new FaceAnalyzer(detector, embedder, { ...opts, thumbnailSize }, thresholds, trashCentroidOf(trashArtifact));
    } catch (error) {
      await detector.close();
      throw error;
    }
  }

  get executionProvider(): ExecutionProvider {
    return this.detector.executionProvider;
  }

  /** Throws ImageDecodeError for photos that cannot be decoded. */
  async analyze(photo: Buffer): Promise<PhotoAnalysis> {
    return this.analyzeDecoded(await timeStage(this.options.stageTimer, 'decode', () => decodePhoto(photo, this.options.decode)));
  }

  /**
   * Several photos at once: one detector call (detectMany) and one embedder call for all their
   * faces, mirror images included. A photo that fails (e.g. ImageDecodeError) yields its Error in
   * its place; the others are unaffected. Same results as analyze() on each photo.
   */
  async analyzeMany(photos: readonly Buffer[]): Promise<(PhotoAnalysis | Error)[]> {
    const decoded = await timeStage(this.options.stageTimer, 'decode', () =>
      Promise.all(photos.map((photo) => decodePhoto(photo, this.options.decode).catch(asError))),
    );
    const images = decoded.flatMap((result) => (result instanceof Error ? [] : [result.image]));
    const detections = await this.detectAll(images);

    // Each photo's regions, or the error that stopped it (decoding or detection).
    let nextDetection = 0;
    const stages = decoded.map((result): PhotoRegions | Error => {
      if (result instanceof Error) return result;
      const found = detections[nextDetection++];
      return found instanceof Error ? found : { decoded: result, detections: found };
    });
    const analyses = await this.describe(stages.filter((stage): stage is PhotoRegions => !(stage instanceof Error)));
    let nextAnalysis = 0;
    return stages.map((stage) => (stage instanceof Error ? stage : analyses[nextAnalysis++]));
  }

  /** As analyze(), for a photo already decoded with decodePhoto(). */
  async analyzeDecoded(decoded: DecodedPhoto): Promise<PhotoAnalysis> {
    const detections = await this.detector.detect(decoded.image);
    return this.analyzeRegions(decoded, detections);
  }

  /**
   * Everything after detection for given face regions (working-image pixels, five landmarks
   * each): alignment, sharpness, embedding, trash similarity, quality. Lets callers (and the
   * calibration tools) analyse regions found some other way.
   */
  async analyzeRegions(decoded: DecodedPhoto, detections: readonly FaceDetection[]): Promise<PhotoAnalysis> {
    const [analysis] = await this.describe([{ decoded, detections }]);
    return analysis;
  }

  /**
   * Embeddings of aligned 112×112 crops as analyze() computes them: with flip augmentation on,
   * every crop and its mirror image go through one embedder run and are averaged.
   */
  async embedFaces(alignedCrops: readonly RgbImage[]): Promise<Float32Array[]> {
    if (alignedCrops.length === 0) return [];
    if (this.options.flipAugment === false) return this.embedder.embed([...alignedCrops]);
    // The mirrored crop equals warpAffine(..., { flip: true }) of the same transform, without a second warp.
    const embeddings = await this.embedder.embed([...alignedCrops, ...alignedCrops.map(mirrorHorizontally)]);
    return alignedCrops.map((_, index) => {
      const sum = embeddings[index];
      const mirror = embeddings[alignedCrops.length + index];
      for (let i = 0; i < sum.length; i++) sum[i] += mirror[i];
      return l2NormalizeInPlace(sum);
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.embedder.close()]);
  }

  /**
   * Batched detection; if the batch fails, each photo is retried alone so that a photo the
   * detector cannot handle gets its own error instead of failing the others.
   */
  private async detectAll(images: readonly RgbImage[]): Promise<(FaceDetection[] | Error)[]> {
    if (images.length === 0) return [];
    if (this.detector.detectMany) {
      try {
        return await this.detector.detectMany(images, this.options.stageTimer);
      } catch (error) {
        if (images.length === 1) return [asError(error)];
      }
    }
    const results: (FaceDetection[] | Error)[] = [];
    for (const image of images) results.push(await this.detector.detect(image).catch(asError));
    return results;
  }

  /** Post-detection pipeline for several photos, with a single embedder run over all faces. */
  private async describe(photos: readonly PhotoRegions[]): Promise<PhotoAnalysis[]> {
    const timer = this.options.stageTimer;
    const crops = await timeStage(timer, 'align', () =>
      photos.map(({ decoded, detections }) =>
        detections.map((detection) => warpAffine(decoded.image, alignmentTransform(detection.landmarks, ALIGNED_FACE_SIZE), ALIGNED_FACE_SIZE)),
      ),
    );
    // One after the other: encoding during the embedder run saved nothing measurable (the JPEGs
    // take ≈ 0.5 ms a face) and made both stages' timings meaningless.
    const thumbnails = await timeStage(timer, 'thumbnail', () =>
      Promise.all(photos.map(({ decoded, detections }, p) => this.thumbnails(decoded.image, detections, crops[p]))),
    );
    const flatEmbeddings = await timeStage(timer, 'embed', () => this.embedFaces(crops.flat()));

    let next = 0;
    return timeStage(timer, 'quality', () =>
      photos.map(({ decoded, detections }, p) => {
        const embeddings = flatEmbeddings.slice(next, (next += detections.length));
        return this.toPhotoAnalysis(decoded, detections, crops[p], embeddings, thumbnails[p]);
      }),
    );
  }

  private toPhotoAnalysis(
    decoded: DecodedPhoto,
    detections: readonly FaceDetection[],
    crops: readonly RgbImage[],
    embeddings: readonly Float32Array[],
    thumbnails: readonly Buffer[],
  ): PhotoAnalysis {
    const { image, originalWidth, originalHeight } = decoded;
    // Per-axis factors: the working size was rounded, so one scale would be off by up to a pixel.
    const toOriginalX = originalWidth / image.width;
    const toOriginalY = originalHeight / image.height;
    const faces = detections.map((detection, index): AnalyzedFace => {
      const box = {
        x1: detection.box.x1 * toOriginalX,
        y1: detection.box.y1 * toOriginalY,
        x2: detection.box.x2 * toOriginalX,
        y2: detection.box.y2 * toOriginalY,
      };
      const landmarks = detection.landmarks.map((point) => ({ x: point.x * toOriginalX, y: point.y * toOriginalY }));
      const sharpness = faceSharpness(crops[index]);
      const similarity = trashSimilarity(embeddings[index], this.trashCentroid);
      return {
        box,
        score: detection.score,
        landmarks,
        embedding: embeddings[index],
        thumbnailJpeg: thumbnails[index],
        sharpness,
        quality: faceQuality({ score: detection.score, box, landmarks, sharpness }, this.thresholds.blur),
        trashSimilarity: similarity,
        kind: classifyFace(sharpness, similarity, this.thresholds),
      };
    });
    return { width: originalWidth, height: originalHeight, faces };
  }

  private thumbnails(image: RgbImage, detections: readonly FaceDetection[], alignedCrops: readonly RgbImage[]): Promise<Buffer[]> {
    const size = this.options.thumbnailSize ?? ALIGNED_FACE_SIZE;
    return Promise.all(
      detections.map((detection, index) =>
        encodeJpeg(size === ALIGNED_FACE_SIZE ? alignedCrops[index] : warpAffine(image, alignmentTransform(detection.landmarks, size), size)),
      ),
    );
  }
}

/**
 * `auto`: int8 where it runs on a CPU with int8 dot-product instructions (see
 * cpuHasInt8DotProduct), float32 on other CPUs and on CUDA (the int8 kernels are CPU ones).
 */
export function resolvePrecision(
  precision: EmbeddingPrecision | 'auto' | undefined,
  provider: ExecutionProvider,
  hasInt8DotProduct: () => boolean = cpuHasInt8DotProduct,
): EmbeddingPrecision {
  if (precision === undefined) return 'float32';
  if (precision === 'auto') return provider === 'cpu' && hasInt8DotProduct() ? 'int8' : 'float32';
  return precision;
}

/** Left↔right mirror image. */
function mirrorHorizontally(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const mirrored = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const from = (row + x) * RGB_CHANNELS;
      const to = (row + width - 1 - x) * RGB_CHANNELS;
      for (let channel = 0; channel < RGB_CHANNELS; channel++) mirrored.data[to + channel] = data[from + channel];
    }
  }
  return mirrored;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
