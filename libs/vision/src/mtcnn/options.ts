export interface MtcnnOptions {
  /** Smallest face searched for, in working-image pixels. */
  minFaceSize: number;
  /** Ratio between successive pyramid scales. */
  scaleFactor: number;
  /** Face-probability thresholds of P-Net, R-Net and O-Net. */
  thresholds: [number, number, number];
  /** Keep at most this many faces (the highest-scoring). */
  maxFaces: number;
}

export const DEFAULT_MTCNN_OPTIONS: Readonly<MtcnnOptions> = Object.freeze({
  minFaceSize: 40,
  scaleFactor: 0.709,
  thresholds: [0.6, 0.7, 0.7] as [number, number, number],
  maxFaces: 100,
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
  return options;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
