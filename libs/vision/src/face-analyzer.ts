import type { Affine2D } from './affine';
import { ALIGNED_FACE_SIZE, alignmentTransform } from './align';
import { decodePhoto, type DecodedPhoto, type DecodeOptions } from './decode';
import { MobileFaceNetEmbedder } from './embedder';
import type { Box, Point, RgbImage } from './image';
import { MtcnnDetector, type FaceDetection } from './mtcnn/detector';
import type { MtcnnOptions } from './mtcnn/options';
import type { ExecutionProvider, OnnxRuntimeOptions } from './onnx-session';
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
}

export interface PhotoAnalysis {
  /** Original size after EXIF rotation. */
  width: number;
  height: number;
  /** Highest detection score first (ties: left to right). */
  faces: AnalyzedFace[];
}

/** Photo bytes → faces with boxes, landmarks, embeddings and aligned thumbnails. */
export class FaceAnalyzer {
  readonly embedderName: string;
  readonly embeddingDimension: number;

  private constructor(
    private readonly detector: MtcnnDetector,
    private readonly embedder: MobileFaceNetEmbedder,
    private readonly options: FaceAnalyzerOptions,
  ) {
    this.embedderName = embedder.modelName;
    this.embeddingDimension = embedder.dimension;
  }

  static async create(opts: FaceAnalyzerOptions): Promise<FaceAnalyzer> {
    const thumbnailSize = opts.thumbnailSize ?? ALIGNED_FACE_SIZE;
    if (!Number.isInteger(thumbnailSize) || thumbnailSize < 16) {
      throw new RangeError(`thumbnailSize must be an integer ≥ 16, got ${thumbnailSize}`);
    }
    const detector = await MtcnnDetector.create(opts.modelsDir, opts.runtime, opts.detector);
    try {
      // Same provider as the detector, so one photo never runs half on the GPU.
      const embedder = await MobileFaceNetEmbedder.create(opts.modelsDir, {
        ...opts.runtime,
        provider: detector.executionProvider,
      });
      return new FaceAnalyzer(detector, embedder, { ...opts, thumbnailSize });
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
    return this.analyzeDecoded(await decodePhoto(photo, this.options.decode));
  }

  /** As analyze(), for a photo already decoded with decodePhoto(). */
  async analyzeDecoded(decoded: DecodedPhoto): Promise<PhotoAnalysis> {
    const { image, originalWidth, originalHeight } = decoded;
    const detections = await this.detector.detect(image);
    const transforms = detections.map((detection) => alignmentTransform(detection.landmarks, ALIGNED_FACE_SIZE));
    const crops = transforms.map((transform) => warpAffine(image, transform, ALIGNED_FACE_SIZE));

    const [embeddings, thumbnails] = await Promise.all([
      this.embedAligned(image, crops, transforms),
      Promise.all(detections.map((detection, index) => this.thumbnail(image, detection, crops[index]))),
    ]);

    // Per-axis factors: the working size was rounded, so one scale would be off by up to a pixel.
    const toOriginalX = originalWidth / image.width;
    const toOriginalY = originalHeight / image.height;
    return {
      width: originalWidth,
      height: originalHeight,
      faces: detections.map((detection, index) => ({
        box: {
          x1: detection.box.x1 * toOriginalX,
          y1: detection.box.y1 * toOriginalY,
          x2: detection.box.x2 * toOriginalX,
          y2: detection.box.y2 * toOriginalY,
        },
        score: detection.score,
        landmarks: detection.landmarks.map((point) => ({ x: point.x * toOriginalX, y: point.y * toOriginalY })),
        embedding: embeddings[index],
        thumbnailJpeg: thumbnails[index],
      })),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.embedder.close()]);
  }

  /** One embedder run for all faces (and their mirror images when flip augmentation is on). */
  private async embedAligned(
    image: RgbImage,
    crops: RgbImage[],
    transforms: readonly Affine2D[],
  ): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    if (this.options.flipAugment === false) return this.embedder.embed(crops);

    const mirrored = transforms.map((transform) => warpAffine(image, transform, ALIGNED_FACE_SIZE, { flip: true }));
    const embeddings = await this.embedder.embed([...crops, ...mirrored]);
    return crops.map((_, index) => {
      const sum = embeddings[index];
      const mirror = embeddings[crops.length + index];
      for (let i = 0; i < sum.length; i++) sum[i] += mirror[i];
      return l2NormalizeInPlace(sum);
    });
  }

  private async thumbnail(image: RgbImage, detection: FaceDetection, alignedCrop: RgbImage): Promise<Buffer> {
    const size = this.options.thumbnailSize ?? ALIGNED_FACE_SIZE;
    const crop = size === ALIGNED_FACE_SIZE ? alignedCrop : warpAffine(image, alignmentTransform(detection.landmarks, size), size);
    return encodeJpeg(crop);
  }
}
