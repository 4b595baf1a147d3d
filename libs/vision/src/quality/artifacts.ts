import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import bundledBlurArtifact from '../../artifacts/blur-threshold.json';
import bundledTrashArtifact from '../../artifacts/trash-sphere.json';
import { l2NormalizeInPlace } from '../vector';

/*
 * Calibrated constants of the quality filters, written by tools/calibrate/*.ts into
 * libs/vision/artifacts/ and bundled into the build (the JSON imports above), so the library
 * works without a path; FaceAnalyzer's `artifactsDir` reads other ones at run time.
 */

export const BLUR_ARTIFACT_FILE = 'blur-threshold.json';
export const TRASH_ARTIFACT_FILE = 'trash-sphere.json';
export const BLUR_ARTIFACT_KIND = 'facecloud.blur-threshold';
export const TRASH_ARTIFACT_KIND = 'facecloud.trash-sphere';
export const ARTIFACT_VERSION = 1;

/** A point of a ROC curve: true and false positive rates at a threshold. */
export interface RocPoint {
  threshold: number;
  tpr: number;
  fpr: number;
}

export interface BlurArtifact {
  kind: typeof BLUR_ARTIFACT_KIND;
  version: typeof ARTIFACT_VERSION;
  /** Laplacian variance below which a face is blurry. */
  threshold: number;
  /** How sharpness is measured; the threshold means nothing for another measure. */
  measure: string;
  /** ROC AUC of "blurry" on the calibration set. */
  auc: number;
  roc: RocPoint[];
  counts: Record<string, number>;
  dataset: string;
  createdAt: string;
}

export interface TrashArtifact {
  kind: typeof TRASH_ARTIFACT_KIND;
  version: typeof ARTIFACT_VERSION;
  /** FaceEmbedder.family the centroid was computed with (float32 and int8 MobileFaceNet share it). */
  embedderModel: string;
  flipAugment: boolean;
  /** Cosine similarity to the centroid at or above which a detection is trash. */
  threshold: number;
  auc: { calibration: number; heldOut: number };
  counts: Record<string, number>;
  dataset: string;
  createdAt: string;
  /** L2-normalised mean embedding of the trash set. */
  centroid: number[];
}

export async function loadBlurArtifact(artifactsDir?: string): Promise<BlurArtifact> {
  return parseBlurArtifact(artifactsDir ? await readJson(join(artifactsDir, BLUR_ARTIFACT_FILE)) : bundledBlurArtifact);
}

export async function loadTrashArtifact(artifactsDir?: string): Promise<TrashArtifact> {
  return parseTrashArtifact(artifactsDir ? await readJson(join(artifactsDir, TRASH_ARTIFACT_FILE)) : bundledTrashArtifact);
}

export function parseBlurArtifact(value: unknown): BlurArtifact {
  const artifact = expectObject(value, BLUR_ARTIFACT_FILE);
  expectHeader(artifact, BLUR_ARTIFACT_KIND, BLUR_ARTIFACT_FILE);
  if (!(typeof artifact.threshold === 'number' && artifact.threshold > 0 && Number.isFinite(artifact.threshold))) {
    throw new Error(`${BLUR_ARTIFACT_FILE}: threshold must be a positive number`);
  }
  return artifact as unknown as BlurArtifact;
}

export function parseTrashArtifact(value: unknown): TrashArtifact {
  const artifact = expectObject(value, TRASH_ARTIFACT_FILE);
  expectHeader(artifact, TRASH_ARTIFACT_KIND, TRASH_ARTIFACT_FILE);
  if (!(typeof artifact.threshold === 'number' && artifact.threshold >= -1 && artifact.threshold <= 1)) {
    throw new Error(`${TRASH_ARTIFACT_FILE}: threshold must be a cosine similarity in [-1, 1]`);
  }
  if (typeof artifact.embedderModel !== 'string') throw new Error(`${TRASH_ARTIFACT_FILE}: embedderModel missing`);
  const { centroid } = artifact;
  if (!Array.isArray(centroid) || centroid.length === 0 || !centroid.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${TRASH_ARTIFACT_FILE}: centroid must be a non-empty array of numbers`);
  }
  const norm = Math.hypot(...(centroid as number[]));
  if (Math.abs(norm - 1) > 1e-3) throw new Error(`${TRASH_ARTIFACT_FILE}: centroid is not unit length (${norm})`);
  return artifact as unknown as TrashArtifact;
}

/** The centroid as a unit Float32Array (re-normalised: JSON keeps ~17 digits, float32 fewer). */
export function trashCentroidOf(artifact: TrashArtifact): Float32Array {
  return l2NormalizeInPlace(Float32Array.from(artifact.centroid));
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new Error(`cannot read quality artifact ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  return JSON.parse(text) as unknown;
}

function expectObject(value: unknown, file: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: not a JSON object`);
  return value as Record<string, unknown>;
}

function expectHeader(artifact: Record<string, unknown>, kind: string, file: string): void {
  if (artifact.kind !== kind) throw new Error(`${file}: kind is ${JSON.stringify(artifact.kind)}, expected ${JSON.stringify(kind)}`);
  if (artifact.version !== ARTIFACT_VERSION) {
    throw new Error(`${file}: version ${JSON.stringify(artifact.version)} is not supported (expected ${ARTIFACT_VERSION})`);
  }
}
