import type { InferenceSession } from 'onnxruntime-node';
import { applyRegression, squareBox } from './boxes';
import { regressionAt, type Candidate } from './candidate';
import { classifyCrops } from './crops';
import { nonMaximumSuppression } from './nms';
import type { PyramidLevel } from './pyramid';

export const RNET_INPUT_SIZE = 24;
const RNET_NMS = 0.7;

/** Stage 2: R-Net re-scores every P-Net proposal in one batch, drops most false positives and refines the boxes. */
export async function refineCandidates(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  candidates: readonly Candidate[],
  threshold: number,
): Promise<Candidate[]> {
  if (candidates.length === 0) return [];
  const [probabilities, regressions] = await classifyCrops(
    session,
    levels,
    candidates.map((candidate) => candidate.box),
    RNET_INPUT_SIZE,
  );
  const accepted: Candidate[] = [];
  candidates.forEach((candidate, index) => {
    const score = probabilities[index * 2 + 1];
    if (score <= threshold) return;
    accepted.push({
      box: candidate.box,
      score,
      regression: regressionAt(regressions, index),
    });
  });
  return nonMaximumSuppression(accepted, RNET_NMS).map((candidate) => ({
    ...candidate,
    box: squareBox(applyRegression(candidate.box, candidate.regression)),
  }));
}
