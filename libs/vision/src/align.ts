import { similarityTransform, type Affine2D } from './affine';
import type { Point, RgbImage } from './image';
import { warpAffine, type WarpOptions } from './warp';

/** Size of the canonical aligned face the template is defined for. */
export const ALIGNED_FACE_SIZE = 112;

/**
 * The standard ArcFace 112×112 five-point template (left eye, right eye, nose, left and right
 * mouth corner), in OpenCV pixel-index coordinates as published.
 */
export const ARCFACE_TEMPLATE_112: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

/** Similarity transform from five landmarks (continuous image coordinates) to the template at `size`. */
export function alignmentTransform(landmarks: readonly Point[], size: number = ALIGNED_FACE_SIZE): Affine2D {
  if (landmarks.length !== ARCFACE_TEMPLATE_112.length) {
    throw new RangeError(`alignment needs ${ARCFACE_TEMPLATE_112.length} landmarks, got ${landmarks.length}`);
  }
  const templateScale = size / ALIGNED_FACE_SIZE;
  // +0.5 converts the template from pixel-index to our continuous coordinates.
  const template = ARCFACE_TEMPLATE_112.map((point) => ({
    x: (point.x + 0.5) * templateScale,
    y: (point.y + 0.5) * templateScale,
  }));
  return similarityTransform(landmarks, template);
}

/** Crops the face onto the ArcFace template: eyes, nose and mouth land on fixed positions. */
export function alignFace(
  image: RgbImage,
  landmarks: readonly Point[],
  size: number = ALIGNED_FACE_SIZE,
  opts?: WarpOptions,
): RgbImage {
  return warpAffine(image, alignmentTransform(landmarks, size), size, opts);
}
