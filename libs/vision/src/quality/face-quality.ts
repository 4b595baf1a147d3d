import type { Box, Point } from '../image';

/**
 * Quality of a detected face in [0, 1], for choosing a person's cover photo ("best avatar") and
 * for ranking faces; 1 = a confident, large, sharp, frontal face.
 *
 *   quality = detection^0.15 · size^0.25 · sharpness^0.3 · frontal^0.3        (each factor in [0, 1])
 *
 *   detection = clamp((score − 0.5) / 0.5)               O-Net probability; below 0.5 "rather not a face"
 *   size      = clamp(ln(side / 24) / ln(112 / 24))      side = √(box width · height) in ORIGINAL pixels:
 *                                                        24 px says little, 112 px (the embedder's crop) is full
 *   sharpness = 1 / (1 + (T / v)²)                       v = Laplacian variance, T = blur threshold: 0.5 at T,
 *                                                        0.8 at 2T, 0.2 at T/2
 *   frontal   = (1 − yaw) · (1 − pitch) · max(0, cos roll)   from the five landmarks, see frontalness()
 *
 * A weighted geometric mean rather than a sum, so a face that fails in one respect (a profile, a
 * smear, a 20-pixel face) scores low however good the rest is. The weights favour what the
 * embedding suffers from most (blur, pose, size) over the detector's confidence, which is near 1
 * for almost every face it keeps.
 */
export const QUALITY_WEIGHTS = Object.freeze({ detection: 0.15, size: 0.25, sharpness: 0.3, frontal: 0.3 });

/** Face side (√area, original pixels) that scores 0 and 1 on the size factor. */
export const QUALITY_SIZE_RANGE = Object.freeze({ min: 24, full: 112 });

/** Nose height between the eye line and the mouth line on a frontal face (ArcFace template). */
const FRONTAL_NOSE_RATIO = (71.7366 - 51.599) / (92.285 - 51.599);

export interface FaceQualityInput {
  /** Detection score (face probability). */
  score: number;
  /** Box in original photo pixels. */
  box: Box;
  /** Left eye, right eye, nose, left and right mouth corner, any consistent pixel frame. */
  landmarks: readonly Point[];
  /** Laplacian variance of the aligned crop (see faceSharpness). */
  sharpness: number;
}

export interface FaceQualityFactors {
  detection: number;
  size: number;
  sharpness: number;
  frontal: number;
}

export function faceQualityFactors(face: FaceQualityInput, blurThreshold: number): FaceQualityFactors {
  return {
    detection: clamp01((face.score - 0.5) / 0.5),
    size: sizeFactor(face.box),
    sharpness: sharpnessFactor(face.sharpness, blurThreshold),
    frontal: frontalness(face.landmarks),
  };
}

/** The combined score in [0, 1] (formula above). */
export function faceQuality(face: FaceQualityInput, blurThreshold: number): number {
  const factors = faceQualityFactors(face, blurThreshold);
  let quality = 1;
  for (const key of Object.keys(QUALITY_WEIGHTS) as (keyof FaceQualityFactors)[]) {
    quality *= Math.pow(factors[key], QUALITY_WEIGHTS[key]);
  }
  return quality;
}

export function sizeFactor(box: Box): number {
  const side = Math.sqrt(Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1));
  if (side <= 0) return 0;
  return clamp01(Math.log(side / QUALITY_SIZE_RANGE.min) / Math.log(QUALITY_SIZE_RANGE.full / QUALITY_SIZE_RANGE.min));
}

export function sharpnessFactor(sharpness: number, blurThreshold: number): number {
  if (!(blurThreshold > 0)) throw new RangeError(`blur threshold must be positive, got ${blurThreshold}`);
  if (!(sharpness > 0)) return 0;
  const ratio = blurThreshold / sharpness;
  return 1 / (1 + ratio * ratio);
}

/**
 * How frontal the face looks, in [0, 1], from its five landmarks. In the frame of the eye line
 * (origin between the eyes, unit = half the eye distance):
 *   yaw   = |u(nose) − u(middle of eyes and mouth)|: the nose moves sideways as the head turns,
 *           and reaches an eye (1) in profile;
 *   pitch = relative deviation of the nose's height between eye line and mouth from the template's
 *           (0.49): nodding moves the nose towards the eyes or the mouth;
 *   roll  = angle of the eye line; alignment undoes it, but strong roll goes with poor landmarks.
 */
export function frontalness(landmarks: readonly Point[]): number {
  if (landmarks.length !== 5) return 0;
  const [leftEye, rightEye, nose, leftMouth, rightMouth] = landmarks;
  const eyeX = rightEye.x - leftEye.x;
  const eyeY = rightEye.y - leftEye.y;
  const halfEyeDistance = Math.hypot(eyeX, eyeY) / 2;
  if (halfEyeDistance === 0) return 0;
  const ux = eyeX / (2 * halfEyeDistance);
  const uy = eyeY / (2 * halfEyeDistance);
  const eyes = midpoint(leftEye, rightEye);
  const mouth = midpoint(leftMouth, rightMouth);
  // Coordinates along the eye line (u) and across it (v), relative to the eyes' midpoint.
  const u = (p: Point) => ((p.x - eyes.x) * ux + (p.y - eyes.y) * uy) / halfEyeDistance;
  const v = (p: Point) => (-(p.x - eyes.x) * uy + (p.y - eyes.y) * ux) / halfEyeDistance;

  const yaw = clamp01(Math.abs(u(nose) - u(mouth) / 2));
  const mouthHeight = v(mouth);
  const pitch = mouthHeight > 0 ? clamp01(Math.abs(v(nose) / mouthHeight - FRONTAL_NOSE_RATIO) / FRONTAL_NOSE_RATIO) : 1;
  const roll = Math.atan2(eyeY, eyeX);
  return (1 - yaw) * (1 - pitch) * Math.max(0, Math.cos(roll));
}

function midpoint(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
