import type { Box } from '../image';
import { boxArea } from './boxes';

/**
 * 'union' = intersection over union; 'min' = intersection over the smaller box, which also
 * suppresses a small box lying inside a big one (used after O-Net).
 */
export type OverlapMode = 'union' | 'min';

export function overlap(a: Box, b: Box, mode: OverlapMode): number {
  const intersectionWidth = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const intersectionHeight = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (intersectionWidth <= 0 || intersectionHeight <= 0) return 0;
  const intersection = intersectionWidth * intersectionHeight;
  const areaA = boxArea(a);
  const areaB = boxArea(b);
  const denominator = mode === 'min' ? Math.min(areaA, areaB) : areaA + areaB - intersection;
  return denominator > 0 ? intersection / denominator : 0;
}

/** Highest score first; ties broken by position so results never depend on input order. */
export function compareByScore(a: { score: number; box: Box }, b: { score: number; box: Box }): number {
  return b.score - a.score || a.box.x1 - b.box.x1 || a.box.y1 - b.box.y1;
}

/**
 * Greedy non-maximum suppression: walk the items from the highest score down and keep one unless
 * it overlaps an already kept item by more than `threshold`. Returns the kept items, best first.
 */
export function nonMaximumSuppression<T extends { score: number; box: Box }>(
  items: readonly T[],
  threshold: number,
  mode: OverlapMode = 'union',
): T[] {
  const sorted = [...items].sort(compareByScore);
  const kept: T[] = [];
  for (const item of sorted) {
    let suppressed = false;
    for (const keptItem of kept) {
      if (overlap(keptItem.box, item.box, mode) > threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(item);
  }
  return kept;
}
