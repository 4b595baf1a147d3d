import type { InferenceSession } from 'onnxruntime-node';
import { applyRegression, squareBox } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { classifyCrops, cropRequests } from './crops';
import { nonMaximumSuppression } from './nms';
import type { PyramidLevel } from './pyramid';

export const RNET_INPUT_SIZE = 24;
const RNET_NMS = 0.7;

/**
 * Stage 2: R-Net re-scores every P-Net proposal of every photo in one batch, drops most false
 * positives and refines the boxes; NMS stays within each photo. Returns one list per photo.
 */
export async function refineCandidates(
  session: InferenceSession,
  levelsPerPhoto: readonly (readonly PyramidLevel[])[],
  candidatesPerPhoto: readonly (readonly Candidate[])[],
  threshold: number,
): Promise<Candidate[][]> {
  const crops = cropRequests(levelsPerPhoto, candidatesPerPhoto);
  if (crops.length === 0) return candidatesPerPhoto.map(() => []);
  const [probabilities, regressions] = await classifyCrops(session, crops, RNET_INPUT_SIZE);
  let row = 0;
  return candidatesPerPhoto.map((candidates) => {
    const accepted: Candidate[] = [];
    for (const candidate of candidates) {
      const index = row++;
      const score = probabilities[index * 2 + 1];
      if (score > threshold) accepted.push({ box: candidate.box, score, regression: regressionAt(regressions, index) });
    }
    return nonMaximumSuppression(accepted, RNET_NMS).map((candidate) => ({
      ...candidate,
      box: squareBox(applyRegression(candidate.box, candidate.regression)),
    }));
  });
}
