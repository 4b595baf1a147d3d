/**
 * Score and partition metrics for the evaluation and calibration tools. Scores are "higher means
 * positive" throughout; callers negate a score where lower means positive (e.g. sharpness for
 * "blurry").
 */

import type { RocPoint } from '@facecloud/vision';

/** `threshold`: scores at or above it are called positive. */
export type { RocPoint };

/** ROC AUC = P(random positive scores above random negative), ties counting half (Mann–Whitney U). */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return Number.NaN;
  const all = [...positives.map((score) => ({ score, positive: true })), ...negatives.map((score) => ({ score, positive: false }))];
  all.sort((a, b) => a.score - b.score);
  let positiveRankSum = 0;
  for (let start = 0; start < all.length; ) {
    let end = start;
    while (end < all.length && all[end].score === all[start].score) end++;
    const averageRank = (start + 1 + end) / 2; // ranks are 1-based; tied scores share their mean rank
    for (let i = start; i < end; i++) if (all[i].positive) positiveRankSum += averageRank;
    start = end;
  }
  const u = positiveRankSum - (positives.length * (positives.length + 1)) / 2;
  return u / (positives.length * negatives.length);
}

/** The whole ROC curve: one point per distinct score, from the strictest threshold down. */
export function rocCurve(positives: readonly number[], negatives: readonly number[]): RocPoint[] {
  const thresholds = [...new Set([...positives, ...negatives])].sort((a, b) => b - a);
  const sortedPositives = [...positives].sort((a, b) => b - a);
  const sortedNegatives = [...negatives].sort((a, b) => b - a);
  const points: RocPoint[] = [];
  let p = 0;
  let n = 0;
  for (const threshold of thresholds) {
    while (p < sortedPositives.length && sortedPositives[p] >= threshold) p++;
    while (n < sortedNegatives.length && sortedNegatives[n] >= threshold) n++;
    points.push({ threshold, tpr: p / Math.max(1, positives.length), fpr: n / Math.max(1, negatives.length) });
  }
  return points;
}

/**
 * A few points of a ROC curve for printing: for each target FPR the point with the highest TPR
 * at or below it, and for each target TPR the first (strictest) point reaching it; no repeats.
 */
export function sampleRoc(curve: readonly RocPoint[], targets: { fprs?: readonly number[]; tprs?: readonly number[] }): RocPoint[] {
  const picked = new Set<RocPoint>();
  for (const target of targets.fprs ?? []) {
    const eligible = curve.filter((point) => point.fpr <= target);
    if (eligible.length > 0) picked.add(eligible.reduce((best, point) => (point.tpr > best.tpr ? point : best)));
  }
  for (const target of targets.tprs ?? []) {
    const first = curve.find((point) => point.tpr >= target);
    if (first) picked.add(first);
  }
  return [...picked].sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr);
}

export interface ThresholdChoice {
  /** Halfway between the two scores the cut separates, so both neighbours are classified as measured. */
  threshold: number;
  tpr: number;
  fpr: number;
}

/**
 * The cut "score ≥ threshold is positive" that maximises `objective(tpr, fpr)`, among cuts with
 * fpr ≤ maxFpr; ties go to the higher threshold (fewer positives called).
 */
export function chooseThreshold(
  positives: readonly number[],
  negatives: readonly number[],
  objective: (tpr: number, fpr: number) => number,
  maxFpr = 1,
): ThresholdChoice {
  const curve = rocCurve(positives, negatives);
  let best: ThresholdChoice | undefined;
  let bestValue = -Infinity;
  curve.forEach((point, index) => {
    if (point.fpr > maxFpr) return;
    const value = objective(point.tpr, point.fpr);
    if (value > bestValue) {
      bestValue = value;
      const below = curve[index + 1]?.threshold;
      best = { threshold: below === undefined ? point.threshold : (point.threshold + below) / 2, tpr: point.tpr, fpr: point.fpr };
    }
  });
  if (!best) throw new RangeError(`no threshold keeps the false-positive rate at or below ${maxFpr}`);
  return best;
}

/** Youden's J = TPR − FPR: the balanced-accuracy optimum. */
export const youden = (tpr: number, fpr: number): number => tpr - fpr;

export interface AccuracyAtThreshold {
  accuracy: number;
  threshold: number;
}

/** Plain accuracy over all pairs at its best "similarity ≥ threshold ⇒ same" cut. */
export function bestAccuracy(same: readonly number[], different: readonly number[]): AccuracyAtThreshold {
  const total = same.length + different.length;
  const choice = chooseThreshold(same, different, (tpr, fpr) => tpr * same.length + (1 - fpr) * different.length);
  return { accuracy: (choice.tpr * same.length + (1 - choice.fpr) * different.length) / total, threshold: choice.threshold };
}

/** Balanced accuracy (mean of TAR and 1 − FAR) at its best cut: not dominated by the many different pairs. */
export function bestBalancedAccuracy(same: readonly number[], different: readonly number[]): AccuracyAtThreshold {
  const choice = chooseThreshold(same, different, youden);
  return { accuracy: (choice.tpr + 1 - choice.fpr) / 2, threshold: choice.threshold };
}

export interface TarAtFar {
  /** True accept rate: same pairs above the threshold. */
  tar: number;
  /** The false accept rate actually reached (≤ the target). */
  far: number;
  threshold: number;
}

/**
 * TAR at a target FAR: the threshold lets at most ⌊far · #different⌋ different pairs through
 * ("similarity > threshold ⇒ same"). With fewer than 1/far different pairs that is none at all.
 */
export function tarAtFar(same: readonly number[], different: readonly number[], targetFar: number): TarAtFar {
  const sortedDifferent = [...different].sort((a, b) => b - a);
  const allowed = Math.floor(targetFar * sortedDifferent.length);
  const threshold = sortedDifferent[allowed] ?? -Infinity;
  const accepted = (scores: readonly number[]) => scores.filter((score) => score > threshold).length;
  return {
    tar: same.length === 0 ? Number.NaN : accepted(same) / same.length,
    far: different.length === 0 ? 0 : accepted(different) / different.length,
    threshold,
  };
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Pairwise precision/recall of a clustering against the true classes: a pair is positive when
 * both items share a cluster. Precision is 1 when no pair is clustered together (no false merge
 * claimed). Each cluster id (noise included) must already be one cluster: give noise points
 * their own ids first (noiseAsSingletons).
 */
export function pairwiseScores(clusters: ArrayLike<number>, classes: ArrayLike<string | number>): PrecisionRecall {
  const { cells, clusterSizes, classSizes } = contingency(clusters, classes);
  const pairs = (count: number) => (count * (count - 1)) / 2;
  const sumPairs = (counts: Iterable<number>) => [...counts].reduce((sum, count) => sum + pairs(count), 0);
  const together = sumPairs(cells.values());
  const predicted = sumPairs(clusterSizes.values());
  const actual = sumPairs(classSizes.values());
  return withF1(predicted === 0 ? 1 : together / predicted, actual === 0 ? 1 : together / actual);
}

/**
 * BCubed precision/recall (Bagga & Baldwin; Amigó et al. 2009): per item, the share of its
 * cluster that is of its class, and the share of its class that is in its cluster, averaged
 * over items.
 */
export function bcubedScores(clusters: ArrayLike<number>, classes: ArrayLike<string | number>): PrecisionRecall {
  const n = clusters.length;
  if (n === 0) return withF1(1, 1);
  const { cells, clusterSizes, classSizes } = contingency(clusters, classes);
  let precision = 0;
  let recall = 0;
  for (const [key, count] of cells) {
    const [cluster, label] = JSON.parse(key) as [number, string | number];
    // Each of the `count` items of this cell scores count/|cluster| and count/|class|.
    precision += (count * count) / (clusterSizes.get(cluster) ?? 1);
    recall += (count * count) / (classSizes.get(label) ?? 1);
  }
  return withF1(precision / n, recall / n);
}

function withF1(precision: number, recall: number): PrecisionRecall {
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

function contingency(clusters: ArrayLike<number>, classes: ArrayLike<string | number>) {
  if (clusters.length !== classes.length) throw new RangeError(`${clusters.length} cluster labels for ${classes.length} items`);
  const cells = new Map<string, number>();
  const clusterSizes = new Map<number, number>();
  const classSizes = new Map<string | number, number>();
  for (let i = 0; i < clusters.length; i++) {
    const key = JSON.stringify([clusters[i], classes[i]]);
    cells.set(key, (cells.get(key) ?? 0) + 1);
    clusterSizes.set(clusters[i], (clusterSizes.get(clusters[i]) ?? 0) + 1);
    classSizes.set(classes[i], (classSizes.get(classes[i]) ?? 0) + 1);
  }
  return { cells, clusterSizes, classSizes };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}
