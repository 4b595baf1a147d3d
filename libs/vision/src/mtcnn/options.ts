/**
 * How P-Net covers the pyramid. 'per-scale': the classic loop, one run per level. 'packed': the
 * levels (of all the photos of a detectMany call) tiled onto one canvas, one run per canvas; it
 * finds the same faces and pays off where each run has a high fixed cost (GPU), but on CPU it is
 * a little slower (part of the canvas is empty space), hence the default.
 */
export type PyramidMode = 'per-scale' | 'packed';

const PYRAMID_MODES: readonly PyramidMode[] = ['per-scale', 'packed'];

export interface MtcnnOptions {
  /** Smallest face searched for, in working-image pixels. */
  minFaceSize: number;
  /** Ratio between successive pyramid scales. */
  scaleFactor: number;
  /** Face-probability thresholds of P-Net, R-Net and O-Net. */
  thresholds: [number, number, number];
  /** Keep at most this many faces (the highest-scoring). */
  maxFaces: number;
  /** One P-Net run per pyramid level, or per canvas of packed levels (see PyramidMode). */
  pyramid: PyramidMode;
}

export const DEFAULT_MTCNN_OPTIONS: Readonly<MtcnnOptions> = Object.freeze({
  minFaceSize: 40,
  scaleFactor: 0.709,
  thresholds: [0.6, 0.7, 0.7] as [number, number, number],
  maxFaces: 100,
  pyramid: 'per-scale',
});

export function resolveMtcnnOptions(overrides: Partial<MtcnnOptions> = {}): MtcnnOptions {
  const options: MtcnnOptions = {
    ...DEFAULT_MTCNN_OPTIONS,
    ...definedOnly(overrides),
    thresholds: [...(overrides.thresholds ?? DEFAULT_MTCNN_OPTIONS.thresholds)] as [number, number, number],
  };
  if (!(options.minFaceSize >= 12)) throw new RangeError(`minFaceSize must be ≥ 12 (P-Net's window), got ${options.minFaceSize}`);
  if (!(options.scaleFactor > 0.1 && options.scaleFactor < 1)) {
    throw new RangeError(`scaleFactor must be in (0.1, 1), got ${options.scaleFactor}`);
  }
  if (options.thresholds.length !== 3 || options.thresholds.some((t) => !(t >= 0 && t <= 1))) {
    throw new RangeError(`thresholds must be three probabilities, got ${JSON.stringify(options.thresholds)}`);
  }
  if (!Number.isInteger(options.maxFaces) || options.maxFaces < 1) {
    throw new RangeError(`maxFaces must be a positive integer, got ${options.maxFaces}`);
  }
  if (!PYRAMID_MODES.includes(options.pyramid)) {
    throw new RangeError(`pyramid must be one of ${PYRAMID_MODES.join(', ')}, got ${String(options.pyramid)}`);
  }
  return options;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
