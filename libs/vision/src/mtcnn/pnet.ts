import type { InferenceSession } from 'onnxruntime-node';
import type { RgbImage } from '../image';
import { float32Tensor, runByPosition } from '../onnx-session';
import { applyRegression, squareBox } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { nonMaximumSuppression } from './nms';
import { PNET_WINDOW, type PyramidLevel } from './pyramid';
import { replicateOddTileEdges, writeTransposedTile } from './tensor';

/** P-Net is fully convolutional with two stride-2 stages folded into one: a map cell every 2 px. */
export const PNET_STRIDE = 2;
/** Within one scale, neighbouring cells see the same face; merge them generously. */
const SAME_SCALE_NMS = 0.5;
/** Across scales, keep distinct boxes unless they largely coincide. */
const CROSS_SCALE_NMS = 0.7;

/** P-Net's output cells along an input axis of `size` pixels (3×3 conv, 2×2 pool with ceil, two 3×3 convs). */
export function pnetMapSize(size: number): number {
  return Math.max(0, Math.ceil((size - 2) / 2) - 4);
}

/**
 * A level's P-Net input is its image rounded up to an even size, the extra column/row a copy of
 * the edge. Why: on an odd side, the last cells' 12×12 window overhangs the level by one pixel.
 * Alone, the model's ceil-mode pool would ignore that pixel; on a packed canvas it would read
 * whatever lies next to the tile. With the copy, a level gives the same cells in both cases (and
 * the same number of cells as unpadded).
 */
export function pnetInputSize(size: number): number {
  return size + (size % 2);
}

/** Writes a level's P-Net input (see pnetInputSize) into a transposed canvas at (left, top). */
export function writePNetInput(image: RgbImage, canvas: Float32Array, canvasHeight: number, left: number, top: number): void {
  writeTransposedTile(image, canvas, 0, canvasHeight, left, top);
  replicateOddTileEdges(canvas, 0, canvasHeight, left, top, image.width, image.height);
}

/** A rectangle of P-Net map cells: a whole map, or the cells of one tile of a packed canvas. */
export interface MapWindow {
  /** First cell along the image's x and y. */
  left: number;
  top: number;
  /** Cells along x and y. */
  width: number;
  height: number;
}

/**
 * Turns P-Net's maps into candidates. Maps are [1, mapWidth, mapHeight, C] (transposed like the
 * input), so cell (x, y) is at index x·mapHeight + y. Each cell is a 12×12 window at
 * (2x, 2y) in level pixels; boxes are returned in working-image pixels.
 */
export function generateCandidates(
  probabilities: Float32Array,
  regressions: Float32Array,
  mapWidth: number,
  mapHeight: number,
  level: Pick<PyramidLevel, 'scaleX' | 'scaleY'>,
  threshold: number,
): Candidate[] {
  const window = { left: 0, top: 0, width: mapWidth, height: mapHeight };
  return candidatesInWindow(probabilities, regressions, mapHeight, window, level, threshold);
}

/**
 * As generateCandidates, for the cells of `window` only, read from maps `mapHeight` cells high;
 * window cell (0, 0) is the level's cell (0, 0).
 */
export function candidatesInWindow(
  probabilities: Float32Array,
  regressions: Float32Array,
  mapHeight: number,
  window: MapWindow,
  level: Pick<PyramidLevel, 'scaleX' | 'scaleY'>,
  threshold: number,
): Candidate[] {
  const candidates: Candidate[] = [];
  for (let x = 0; x < window.width; x++) {
    for (let y = 0; y < window.height; y++) {
      const cell = (window.left + x) * mapHeight + window.top + y;
      const score = probabilities[cell * 2 + 1]; // channel 1 = "face"
      if (score <= threshold) continue;
      candidates.push({
        score,
        box: {
          x1: (x * PNET_STRIDE) / level.scaleX,
          y1: (y * PNET_STRIDE) / level.scaleY,
          x2: (x * PNET_STRIDE + PNET_WINDOW) / level.scaleX,
          y2: (y * PNET_STRIDE + PNET_WINDOW) / level.scaleY,
        },
        regression: regressionAt(regressions, cell),
      });
    }
  }
  return candidates;
}

/** One level's candidates after the same-scale NMS. */
export function suppressWithinLevel(candidates: readonly Candidate[]): Candidate[] {
  return nonMaximumSuppression(candidates, SAME_SCALE_NMS);
}

/** All levels' candidates of one photo, merged across scales, then regressed and squared for R-Net. */
export function mergeLevels(candidates: readonly Candidate[]): Candidate[] {
  return nonMaximumSuppression(candidates, CROSS_SCALE_NMS).map((candidate) => ({
    ...candidate,
    box: squareBox(applyRegression(candidate.box, candidate.regression)),
  }));
}

/** Runs P-Net on one pyramid level and returns that level's candidates after same-scale NMS. */
export async function runPNetLevel(session: InferenceSession, level: PyramidLevel, threshold: number): Promise<Candidate[]> {
  const width = pnetInputSize(level.image.width);
  const height = pnetInputSize(level.image.height);
  const input = new Float32Array(width * height * 3);
  writePNetInput(level.image, input, height, 0, 0);
  const [probabilityMap, regressionMap] = await runByPosition(session, float32Tensor(input, [1, width, height, 3]));
  const [, mapWidth, mapHeight] = probabilityMap.dims;
  const candidates = generateCandidates(
    probabilityMap.data as Float32Array,
    regressionMap.data as Float32Array,
    mapWidth,
    mapHeight,
    level,
    threshold,
  );
  return suppressWithinLevel(candidates);
}

/**
 * Stage 1, classic per-scale loop (the reference for the packed pyramid): P-Net once per pyramid
 * level, merged across scales, then regressed and squared for R-Net.
 */
export async function proposeCandidates(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  threshold: number,
): Promise<Candidate[]> {
  const perLevel: Candidate[] = [];
  for (const level of levels) perLevel.push(...(await runPNetLevel(session, level, threshold)));
  return mergeLevels(perLevel);
}
