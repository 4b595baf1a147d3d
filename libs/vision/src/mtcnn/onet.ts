import type { InferenceSession } from 'onnxruntime-node';
import type { Point } from '../image';
import { applyRegression, boxHeight, boxWidth } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { classifyCrops, cropRequests } from './crops';
import { nonMaximumSuppression } from './nms';
import type { PyramidLevel } from './pyramid';

export const ONET_INPUT_SIZE = 48;
const ONET_NMS = 0.7;
const LANDMARK_COUNT = 5;

/**
 * Stage 3: O-Net scores the R-Net boxes of every photo in one batch, refines them and places five
 * landmarks. Landmarks come as x1..x5 then y1..y5, as fractions of the (pre-regression) input box.
 * The final NMS, within each photo, uses intersection-over-minimum to drop boxes nested inside a
 * bigger face. Returns one list per photo.
 */
export async function finalizeCandidates(
  session: InferenceSession,
  levelsPerPhoto: readonly (readonly PyramidLevel[])[],
  candidatesPerPhoto: readonly (readonly Candidate[])[],
  threshold: number,
): Promise<Candidate[][]> {
  const crops = cropRequests(levelsPerPhoto, candidatesPerPhoto);
  if (crops.length === 0) return candidatesPerPhoto.map(() => []);
  const [probabilities, regressions, landmarkFractions] = await classifyCrops(session, crops, ONET_INPUT_SIZE);
  let row = 0;
  return candidatesPerPhoto.map((candidates) => {
    const accepted: Candidate[] = [];
    for (const candidate of candidates) {
      const index = row++;
      const score = probabilities[index * 2 + 1];
      if (score <= threshold) continue;
      const regression = regressionAt(regressions, index);
      accepted.push({
        box: applyRegression(candidate.box, regression),
        score,
        regression,
        landmarks: landmarksAt(landmarkFractions, index, candidate),
      });
    }
    return nonMaximumSuppression(accepted, ONET_NMS, 'min');
  });
}

function landmarksAt(fractions: Float32Array, index: number, candidate: Candidate): Point[] {
  const width = boxWidth(candidate.box);
  const height = boxHeight(candidate.box);
  const landmarks: Point[] = [];
  for (let point = 0; point < LANDMARK_COUNT; point++) {
    landmarks.push({
      x: candidate.box.x1 + fractions[index * 10 + point] * width,
      y: candidate.box.y1 + fractions[index * 10 + LANDMARK_COUNT + point] * height,
    });
  }
  return landmarks;
}
