import sharp from 'sharp';
import { RGB_CHANNELS, type RgbImage } from '../image';
import { resizeRgb } from './resample';

/** P-Net looks at 12×12 windows: a face of `minFaceSize` px must shrink to 12 px at the first scale. */
export const PNET_WINDOW = 12;

/** One resized copy of the working image; scaleX/Y = level pixels per working pixel. */
export interface PyramidLevel {
  image: RgbImage;
  scaleX: number;
  scaleY: number;
}

/** Scales 12/minFace · factor^k, for as long as the image's short side stays ≥ 12 px. */
export function pyramidScales(width: number, height: number, minFaceSize: number, scaleFactor: number): number[] {
  const scales: number[] = [];
  let scale = PNET_WINDOW / minFaceSize;
  while (Math.min(width, height) * scale >= PNET_WINDOW) {
    scales.push(scale);
    scale *= scaleFactor;
  }
  return scales;
}

/**
 * Below this many source pixels a level is resampled in plain JS, above it by libvips. The JS
 * resampler's cost grows with the source size; libvips is vectorised but costs about 1 ms per call
 * whatever the size. So libvips takes the big first step from a large working image and JS the
 * many small levels. Whole pyramid, 2 CPU cores: 1024 × 683 ≈ 3 ms, 150 × 150 ≈ 0.3 ms (one
 * libvips call per level: ≈ 7 ms and ≈ 3 ms).
 */
const LIBVIPS_MIN_SOURCE_PIXELS = 200_000;

/**
 * Resizes the working image to each scale. Each level is resampled from the previous one, not
 * from the working image, so the antialiasing filter spans a few source pixels instead of up to
 * 1/scale of them and the smaller levels cost little. The level size is rounded up, so the real
 * per-axis scale is recorded rather than the nominal one.
 */
export async function buildPyramid(image: RgbImage, scales: readonly number[]): Promise<PyramidLevel[]> {
  const levels: PyramidLevel[] = [];
  let previous = image;
  for (const scale of scales) {
    const width = Math.max(1, Math.ceil(image.width * scale));
    const height = Math.max(1, Math.ceil(image.height * scale));
    const level = await resizeLevel(previous, width, height);
    levels.push({ image: level, scaleX: width / image.width, scaleY: height / image.height });
    previous = level;
  }
  return levels;
}

async function resizeLevel(source: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (width === source.width && height === source.height) return source;
  if (source.width * source.height < LIBVIPS_MIN_SOURCE_PIXELS) return resizeRgb(source, width, height);
  const data = await sharp(source.data, { raw: { width: source.width, height: source.height, channels: RGB_CHANNELS } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { data, width, height };
}

/**
 * The level to crop a box of `boxSide` working pixels from, for a `targetSize`-pixel network input:
 * the smallest level where the box is still at least `targetSize` px, so bilinear resampling only
 * ever shrinks by less than one pyramid step (no aliasing) and never reads more pixels than needed.
 * Falls back to the largest level when the box is small everywhere (then it is enlarged).
 * `levels` must be sorted by decreasing scale.
 */
export function pickLevelForCrop(levels: readonly PyramidLevel[], boxSide: number, targetSize: number): PyramidLevel {
  for (let i = levels.length - 1; i >= 0; i--) {
    if (boxSide * Math.min(levels[i].scaleX, levels[i].scaleY) >= targetSize) return levels[i];
  }
  return levels[0];
}
