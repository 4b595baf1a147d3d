import type { InferenceSession } from 'onnxruntime-node';
import { float32Tensor, runByPosition } from '../onnx-session';
import { applyRegression, squareBox } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { nonMaximumSuppression } from './nms';
import { PNET_WINDOW, type PyramidLevel } from './pyramid';
import { writeTransposedImage } from './tensor';

/** P-Net is fully convolutional with two stride-2 stages folded into one: a map cell every 2 px. */
const PNET_STRIDE = 2;
/** Within one scale, neighbouring cells see the same face; merge them generously. */
const SAME_SCALE_NMS = 0.5;
/** Across scales, keep distinct boxes unless they largely coincide. */
const CROSS_SCALE_NMS = 0.7;

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
  const candidates: Candidate[] = [];
  for (let x = 0; x < mapWidth; x++) {
    for (let y = 0; y < mapHeight; y++) {
      const cell = x * mapHeight + y;
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

/** Runs P-Net on one pyramid level and returns that level's candidates after same-scale NMS. */
export async function runPNetLevel(session: InferenceSession, level: PyramidLevel, threshold: number): Promise<Candidate[]> {
  const { width, height } = level.image;
  const input = new Float32Array(width * height * 3);
  writeTransposedImage(level.image, input);
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
  return nonMaximumSuppression(candidates, SAME_SCALE_NMS);
}

/**
 * Stage 1: P-Net over every pyramid level (the classic per-scale loop), merged across scales,
 * then regressed and squared for R-Net.
 */
export async function proposeCandidates(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  threshold: number,
): Promise<Candidate[]> {
  const perLevel: Candidate[] = [];
  for (const level of levels) perLevel.push(...(await runPNetLevel(session, level, threshold)));
  return nonMaximumSuppression(perLevel, CROSS_SCALE_NMS).map((candidate) => ({
    ...candidate,
    box: squareBox(applyRegression(candidate.box, candidate.regression)),
  }));
}
