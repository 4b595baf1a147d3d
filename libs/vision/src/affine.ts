import type { Point } from './image';

/**
 * A 2×3 affine matrix, row-major [a, b, tx, c, d, ty]:
 *   x' = a·x + b·y + tx
 *   y' = c·x + d·y + ty
 * (the layout OpenCV's warpAffine uses).
 */
export type Affine2D = readonly [number, number, number, number, number, number];

export function applyAffine(m: Affine2D, point: Point): Point {
  return { x: m[0] * point.x + m[1] * point.y + m[2], y: m[3] * point.x + m[4] * point.y + m[5] };
}

export function invertAffine(m: Affine2D): Affine2D {
  const [a, b, tx, c, d, ty] = m;
  const determinant = a * d - b * c;
  if (Math.abs(determinant) < 1e-12) throw new RangeError('affine matrix is singular');
  const ia = d / determinant;
  const ib = -b / determinant;
  const ic = -c / determinant;
  const id = a / determinant;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) mapping `src` onto
 * `dst` — Umeyama's method restricted to proper rotations.
 *
 * In 2-D the optimum has a closed form: with centred points, the matrix is [[p, −q], [q, p]] where
 * p = Σ(sx·dx + sy·dy) / Σ|s|² and q = Σ(sx·dy − sy·dx) / Σ|s|². Its determinant p² + q² is never
 * negative, so a mirror image can never be produced (unlike a general affine fit).
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine2D {
  if (src.length !== dst.length) throw new RangeError(`point counts differ: ${src.length} vs ${dst.length}`);
  if (src.length < 2) throw new RangeError('a similarity transform needs at least 2 point pairs');

  const srcMean = meanPoint(src);
  const dstMean = meanPoint(dst);
  let dotSum = 0;
  let crossSum = 0;
  let srcVariance = 0;
  for (let i = 0; i < src.length; i++) {
    const sx = src[i].x - srcMean.x;
    const sy = src[i].y - srcMean.y;
    const dx = dst[i].x - dstMean.x;
    const dy = dst[i].y - dstMean.y;
    dotSum += sx * dx + sy * dy;
    crossSum += sx * dy - sy * dx;
    srcVariance += sx * sx + sy * sy;
  }
  if (srcVariance < 1e-12) throw new RangeError('source points are all identical');

  const p = dotSum / srcVariance; // scale·cos(angle)
  const q = crossSum / srcVariance; // scale·sin(angle)
  return [p, -q, dstMean.x - (p * srcMean.x - q * srcMean.y), q, p, dstMean.y - (q * srcMean.x + p * srcMean.y)];
}

/** Uniform scale factor of a similarity (or the geometric-mean scale of any affine). */
export function affineScale(m: Affine2D): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

function meanPoint(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const point of points) {
    x += point.x;
    y += point.y;
  }
  return { x: x / points.length, y: y / points.length };
}
