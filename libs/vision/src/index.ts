export type { RgbImage, Point, Box } from './image';
export { ImageDecodeError, decodePhoto, type DecodeOptions, type DecodedPhoto } from './decode';
export {
  DEFAULT_DECODE_MAX_MEMORY_BYTES,
  decodeMemoryEstimate,
  decodeMemoryInUse,
  decodeMemoryProblem,
  withDecodeMemory,
  type DecodeMemoryEstimate,
} from './decode-memory';
export {
  openOnnxSessions,
  type OnnxRuntimeOptions,
  type ExecutionProvider,
  type VisionLogger,
} from './onnx-session';
export { similarityTransform, applyAffine, invertAffine, type Affine2D } from './affine';
export { warpAffine, type WarpOptions } from './warp';
export { alignFace, alignmentTransform, ARCFACE_TEMPLATE_112, ALIGNED_FACE_SIZE } from './align';
export { MtcnnDetector, MTCNN_MODEL_FILES, type FaceDetection } from './mtcnn/detector';
export { DEFAULT_MTCNN_OPTIONS, type MtcnnOptions, type PyramidMode } from './mtcnn/options';
export {
  MobileFaceNetEmbedder,
  MOBILEFACENET_MODEL_FILE,
  MOBILEFACENET_INT8_MODEL_FILE,
  MOBILEFACENET_FAMILY,
  type EmbeddingPrecision,
  type FaceEmbedder,
} from './embedder';
export { resolvePrecision } from './face-analyzer';
export { cpuHasInt8DotProduct } from './cpu-int8';
export { FaceAnalyzer, type FaceAnalyzerOptions, type PhotoAnalysis, type PhotoAnalyzer, type AnalyzedFace } from './face-analyzer';
export { FaceAnalyzerPool, type FaceAnalyzerPoolOptions } from './analyzer-pool';
export { encodeJpeg } from './thumbnail';
export { StageTotals, timeStage, type StageTimer, type VisionStage } from './stage-timer';
export { cosineSimilarity, l2NormalizeInPlace } from './vector';
export { type DetectedFaceKind, type FaceFilterThresholds, classifyFace } from './quality/classify';
export { faceSharpness, laplacianVariance, toGrey, isBlurry, ALIGNED_SHARPNESS_REGION, type GreyImage, type PixelRegion } from './quality/blur';
export { trashCentroid, trashSimilarity, isTrash } from './quality/trash-sphere';
export {
  faceQuality,
  faceQualityFactors,
  frontalness,
  QUALITY_WEIGHTS,
  type FaceQualityInput,
  type FaceQualityFactors,
} from './quality/face-quality';
export {
  loadBlurArtifact,
  loadTrashArtifact,
  parseBlurArtifact,
  parseTrashArtifact,
  trashCentroidOf,
  BLUR_ARTIFACT_FILE,
  TRASH_ARTIFACT_FILE,
  ARTIFACT_VERSION,
  type BlurArtifact,
  type TrashArtifact,
  type RocPoint,
} from './quality/artifacts';
