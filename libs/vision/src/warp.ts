import { affineScale, invertAffine, type Affine2D } from './affine';
import { assertRgbImage, createRgbImage, RGB_CHANNELS, type RgbImage } from './image';

export interface WarpOptions {
  /** Mirror the result left↔right (for flip test-time augmentation). */
  flip?: boolean;
}

/** More sub-samples per axis buy little once each output pixel averages 4×4 source samples. */
const MAX_SAMPLES_PER_AXIS = 4;

/**
 * Warps `image` into a size×size output with `m` mapping source coordinates to output
 * coordinates (continuous pixel coordinates, see image.ts). Each output pixel is found by inverse
 * mapping and bilinear interpolation; pixels that map outside the source are black.
 *
 * When the warp shrinks the face (|m| < 1) each output pixel averages a k×k grid of bilinear
 * samples (k ≈ 1/scale, at most 4), so large faces are not aliased into noise.
 */
export function warpAffine(image: RgbImage, m: Affine2D, size: number, opts: WarpOptions = {}): RgbImage {
  assertRgbImage(image);
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`warp size must be a positive integer, got ${size}`);

  const inverse = invertAffine(m);
  const samplesPerAxis = Math.min(MAX_SAMPLES_PER_AXIS, Math.max(1, Math.ceil(1 / affineScale(m) - 1e-6)));
  const sampleWeight = 1 / (samplesPerAxis * samplesPerAxis);
  const output = createRgbImage(size, size);
  const accumulator = new Float64Array(RGB_CHANNELS);

  for (let outY = 0; outY < size; outY++) {
    for (let outX = 0; outX < size; outX++) {
      // A flipped output pixel takes the value the unflipped warp would put at the mirrored column.
      const sourceColumn = opts.flip ? size - 1 - outX : outX;
      accumulator.fill(0);
      for (let subY = 0; subY < samplesPerAxis; subY++) {
        const targetY = outY + (subY + 0.5) / samplesPerAxis;
        for (let subX = 0; subX < samplesPerAxis; subX++) {
          const targetX = sourceColumn + (subX + 0.5) / samplesPerAxis;
          // Continuous source position, then -0.5 to move to pixel-centre (index) coordinates.
          const sourceX = inverse[0] * targetX + inverse[1] * targetY + inverse[2] - 0.5;
          const sourceY = inverse[3] * targetX + inverse[4] * targetY + inverse[5] - 0.5;
          addBilinearSample(image, sourceX, sourceY, accumulator);
        }
      }
      const offset = (outY * size + outX) * RGB_CHANNELS;
      output.data[offset] = Math.round(accumulator[0] * sampleWeight);
      output.data[offset + 1] = Math.round(accumulator[1] * sampleWeight);
      output.data[offset + 2] = Math.round(accumulator[2] * sampleWeight);
    }
  }
  return output;
}

/** Adds the bilinear interpolation at index coordinates (x, y) to `accumulator`; outside = black. */
function addBilinearSample(image: RgbImage, x: number, y: number, accumulator: Float64Array): void {
  const left = Math.floor(x);
  const top = Math.floor(y);
  const fractionX = x - left;
  const fractionY = y - top;
  const { data, width, height } = image;
  if (left >= 0 && top >= 0 && left + 1 < width && top + 1 < height) {
    // Fast path (almost every sample): all four neighbours are inside the image.
    const topLeft = (top * width + left) * RGB_CHANNELS;
    const bottomLeft = topLeft + width * RGB_CHANNELS;
    for (let channel = 0; channel < RGB_CHANNELS; channel++) {
      const upper = data[topLeft + channel] + fractionX * (data[topLeft + RGB_CHANNELS + channel] - data[topLeft + channel]);
      const lower =
        data[bottomLeft + channel] + fractionX * (data[bottomLeft + RGB_CHANNELS + channel] - data[bottomLeft + channel]);
      accumulator[channel] += upper + fractionY * (lower - upper);
    }
    return;
  }
  addWeightedPixel(image, left, top, (1 - fractionX) * (1 - fractionY), accumulator);
  addWeightedPixel(image, left + 1, top, fractionX * (1 - fractionY), accumulator);
  addWeightedPixel(image, left, top + 1, (1 - fractionX) * fractionY, accumulator);
  addWeightedPixel(image, left + 1, top + 1, fractionX * fractionY, accumulator);
}

function addWeightedPixel(image: RgbImage, x: number, y: number, weight: number, accumulator: Float64Array): void {
  if (weight === 0 || x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const offset = (y * image.width + x) * RGB_CHANNELS;
  accumulator[0] += weight * image.data[offset];
  accumulator[1] += weight * image.data[offset + 1];
  accumulator[2] += weight * image.data[offset + 2];
}
