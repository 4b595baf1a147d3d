// simple-statistics ships CommonJS beside its ES module, but its typings are declared as ESM only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { probit } = require('simple-statistics') as { probit(p: number): number };

/**
 * The similarity at which average linkage stops merging, for a library of n faces.
 *
 * A library of n faces holds ≈ n²/2 pairs of strangers, so a fixed threshold that is safe for
 * 200 faces pulls strangers together at 10,000: each face meets n − 1 others, and the chance
 * that one of them looks like it above t grows with n. The rule keeps the expected number of
 * chance look-alikes of a face, n · FAR(t), at `chanceMatchesPerFace`, with the embedder's
 * impostor scores modelled as a normal distribution (mean and sd of different-person pairs,
 * measured on the dev set; `npm run eval` prints them for any labelled folder):
 *
 *   t(n) = impostorMean + impostorSd · Φ⁻¹(1 − min(maxFalseAcceptRate, chanceMatchesPerFace / n))
 *
 * never looser than FAR = maxFalseAcceptRate (small libraries) and never stricter than
 * `maxThreshold`, the similarity 90 % of same-person pairs reach (huge libraries: past it a
 * person would split into many; a split person is one merge for the user, a wrong one a
 * correction per photo).
 */
export interface LinkageThresholdModel {
  impostorMean: number;
  impostorSd: number;
  chanceMatchesPerFace: number;
  maxFalseAcceptRate: number;
  maxThreshold: number;
}

/**
 * MobileFaceNet-192 with flip TTA on the dev set: 19,423 different-person pairs, mean 0.007,
 * sd 0.143; 477 same-person pairs, 10th percentile 0.644. Re-measure when the embedder changes.
 */
export const LINKAGE_THRESHOLD_MODEL: LinkageThresholdModel = {
  impostorMean: 0.007,
  impostorSd: 0.143,
  chanceMatchesPerFace: 0.1,
  maxFalseAcceptRate: 1e-3,
  maxThreshold: 0.644,
};

export function linkageThresholdFor(faceCount: number, model: LinkageThresholdModel = LINKAGE_THRESHOLD_MODEL): number {
  const falseAcceptRate = Math.min(model.maxFalseAcceptRate, model.chanceMatchesPerFace / Math.max(1, faceCount));
  const threshold = model.impostorMean + model.impostorSd * probit(1 - falseAcceptRate);
  return Math.round(Math.min(model.maxThreshold, threshold) * 1000) / 1000;
}
