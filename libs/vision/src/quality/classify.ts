import type { FaceKind } from '@facecloud/contract';
import { isBlurry } from './blur';
import { isTrash } from './trash-sphere';

/**
 * What a detection is taken for: a usable face, a real but blurry face (kept: it still belongs to
 * someone, but forms "blurry clusters" if clustered freely), or trash (not a face at all).
 * (`not_face` is only ever the user's word.)
 */
export type DetectedFaceKind = Exclude<FaceKind, 'not_face'>;

export interface FaceFilterThresholds {
  /** Laplacian variance below which a face is blurry. */
  blur: number;
  /** Cosine similarity to the trash centroid at or above which a detection is trash. */
  trash: number;
}

/** Trash wins over blurry: a smeared texture is still not a face. */
export function classifyFace(sharpness: number, trashSimilarity: number, thresholds: FaceFilterThresholds): DetectedFaceKind {
  if (isTrash(trashSimilarity, thresholds.trash)) return 'trash';
  if (isBlurry(sharpness, thresholds.blur)) return 'blurry';
  return 'face';
}
