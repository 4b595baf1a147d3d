export type { RgbImage, Point, Box } from './image';
export { ImageDecodeError, decodePhoto, type DecodeOptions, type DecodedPhoto } from './decode';
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
export { DEFAULT_MTCNN_OPTIONS, type MtcnnOptions } from './mtcnn/options';
export { MobileFaceNetEmbedder, MOBILEFACENET_MODEL_FILE, type FaceEmbedder } from './embedder';
export { FaceAnalyzer, type FaceAnalyzerOptions, type PhotoAnalysis, type AnalyzedFace } from './face-analyzer';
export { encodeJpeg } from './thumbnail';
export { cosineSimilarity, l2NormalizeInPlace } from './vector';
