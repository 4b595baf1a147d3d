import type { InferenceSession } from 'onnxruntime-node';
import type { Point } from '../image';
import { applyRegression, boxHeight, boxWidth } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { classifyCrops } from './crops';
import { nonMaximumSuppression } from './nms';
import type { PyramidLevel } from './pyramid';

export const ONET_INPUT_SIZE = 48;
const ONET_NMS = 0.7;
const LANDMARK_COUNT = 5;

/**
 * Stage 3: O-Net scores the R-Net boxes in one batch, refines them and places five landmarks.
 * Landmarks come as x1..x5 then y1..y5, as fractions of the (pre-regression) input box.
 * The final NMS uses intersection-over-minimum to drop boxes nested inside a bigger face.
 */
export async function finalizeCandidates(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  candidates: readonly Candidate[],
  threshold: number,
): Promise<Candidate[]> {
  if (candidates.length === 0) return [];
  const [probabilities, regressions, landmarkFractions] = await classifyCrops(
    session,
    levels,
    candidates.map((candidate) => candidate.box),
    ONET_INPUT_SIZE,
  );
  const accepted: Candidate[] = [];
  candidates.forEach((candidate, index) => {
    const score = probabilities[index * 2 + 1];
    if (score <= threshold) return;
    const width = boxWidth(candidate.box);
    const height = boxHeight(candidate.box);
    const landmarks: Point[] = [];
    for (let point = 0; point < LANDMARK_COUNT; point++) {
      landmarks.push({
        x: candidate.box.x1 + landmarkFractions[index * 10 + point] * width,
        y: candidate.box.y1 + landmarkFractions[index * 10 + LANDMARK_COUNT + point] * height,
      });
    }
    const regression = regressionAt(regressions, index);
    accepted.push({ box: applyRegression(candidate.box, regression), score, regression, landmarks });
  });
  return nonMaximumSuppression(accepted, ONET_NMS, 'min');
}
