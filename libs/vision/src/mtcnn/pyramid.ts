import sharp from 'sharp';
import { RGB_CHANNELS, type RgbImage } from '../image';

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
 * Resizes the working image to each scale (libvips, antialiased, off the main thread). The level
 * size is rounded up, so the real per-axis scale is recorded rather than the nominal one.
 */
export async function buildPyramid(image: RgbImage, scales: readonly number[]): Promise<PyramidLevel[]> {
  return Promise.all(scales.map((scale) => resizeLevel(image, scale)));
}

async function resizeLevel(image: RgbImage, scale: number): Promise<PyramidLevel> {
  const width = Math.max(1, Math.ceil(image.width * scale));
  const height = Math.max(1, Math.ceil(image.height * scale));
  if (width === image.width && height === image.height) return { image, scaleX: 1, scaleY: 1 };
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: RGB_CHANNELS } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { image: { data, width, height }, scaleX: width / image.width, scaleY: height / image.height };
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
