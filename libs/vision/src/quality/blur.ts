import { assertRgbImage, RGB_CHANNELS, type RgbImage } from '../image';

/** A single-channel float image, row-major. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Region of a crop, in pixels: [x, x + width) × [y, y + height). */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where sharpness is measured on the aligned 112×112 crop: the central 80×80 square, which holds
 * eyes, nose and mouth of the ArcFace template. Leaving out the rim keeps the background (often
 * out of focus on purpose) and the black fill of faces at the photo's edge out of the measure.
 */
export const ALIGNED_SHARPNESS_REGION: Readonly<PixelRegion> = Object.freeze({ x: 16, y: 16, width: 80, height: 80 });

/** ITU-R BT.601 luma; the same weights libvips and OpenCV use for greyscale. */
export function toGrey(image: RgbImage): GreyImage {
  assertRgbImage(image);
  const pixels = image.width * image.height;
  const grey = new Float32Array(pixels);
  for (let i = 0, offset = 0; i < pixels; i++, offset += RGB_CHANNELS) {
    grey[i] = 0.299 * image.data[offset] + 0.587 * image.data[offset + 1] + 0.114 * image.data[offset + 2];
  }
  return { data: grey, width: image.width, height: image.height };
}

/**
 * Variance of the 4-neighbour Laplacian (kernel [0 1 0; 1 −4 1; 0 1 0]) over the pixels of
 * `region` whose four neighbours all lie inside the image. Blur removes the high frequencies the
 * Laplacian responds to, so a low variance means a blurry image. Units: grey levels².
 */
export function laplacianVariance(image: GreyImage, region: PixelRegion = wholeImage(image)): number {
  const { data, width, height } = image;
  const x0 = Math.max(1, region.x);
  const y0 = Math.max(1, region.y);
  const x1 = Math.min(width - 1, region.x + region.width);
  const y1 = Math.min(height - 1, region.y + region.height);
  let count = 0;
  let sum = 0;
  let sumOfSquares = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = y * width + x0; x < x1; x++, i++) {
      const laplacian = data[i - 1] + data[i + 1] + data[i - width] + data[i + width] - 4 * data[i];
      sum += laplacian;
      sumOfSquares += laplacian * laplacian;
      count++;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.max(0, sumOfSquares / count - mean * mean);
}

/** Sharpness of an aligned face crop: Laplacian variance of its grey levels in the central region. */
export function faceSharpness(alignedCrop: RgbImage, region: PixelRegion = ALIGNED_SHARPNESS_REGION): number {
  return laplacianVariance(toGrey(alignedCrop), region);
}

/** Faces whose sharpness is below the calibrated threshold are blurry. */
export function isBlurry(sharpness: number, threshold: number): boolean {
  return sharpness < threshold;
}

function wholeImage(image: GreyImage): PixelRegion {
  return { x: 0, y: 0, width: image.width, height: image.height };
}
