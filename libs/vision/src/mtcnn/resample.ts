import { RGB_CHANNELS, type RgbImage } from '../image';

/*
 * Separable resize of packed RGB with a triangle (linear) filter that widens with the shrink
 * factor, so shrinking averages every source pixel (antialiased), like libvips' linear reduce
 * (within a grey level or two). Plain typed-array loops: for small images this is several times
 * cheaper than a libvips pipeline, whose fixed cost is about 1 ms per call.
 */

/** Filter taps along one axis: output i reads `count[i]` source pixels from `first[i]`. */
interface AxisFilter {
  first: Int32Array;
  count: Int32Array;
  /** `stride` weights per output sample, normalised to sum 1. */
  weights: Float32Array;
  stride: number;
}

function axisFilter(sourceLength: number, targetLength: number): AxisFilter {
  const scale = targetLength / sourceLength;
  // Triangle half-width in source pixels: 1 for enlarging (bilinear), 1/scale for shrinking.
  const radius = Math.max(1, 1 / scale);
  const stride = Math.ceil(radius) * 2 + 1;
  const filter: AxisFilter = {
    first: new Int32Array(targetLength),
    count: new Int32Array(targetLength),
    weights: new Float32Array(targetLength * stride),
    stride,
  };
  for (let i = 0; i < targetLength; i++) {
    const center = (i + 0.5) / scale; // continuous source coordinate of the output pixel's centre
    const first = Math.max(0, Math.ceil(center - radius - 0.5));
    const end = Math.min(sourceLength, Math.floor(center + radius - 0.5) + 1);
    let total = 0;
    for (let j = first; j < end; j++) {
      const weight = Math.max(0, 1 - Math.abs(j + 0.5 - center) / radius);
      filter.weights[i * stride + (j - first)] = weight;
      total += weight;
    }
    for (let k = 0; k < end - first; k++) filter.weights[i * stride + k] /= total;
    filter.first[i] = first;
    filter.count[i] = end - first;
  }
  return filter;
}

/** Resizes `image` to width × height. */
export function resizeRgb(image: RgbImage, width: number, height: number): RgbImage {
  const rows = resizeRows(image, axisFilter(image.width, width), width);
  return resizeColumns(rows, width, axisFilter(image.height, height), height);
}

/** Horizontal pass: every source row to `width` pixels, as floats. */
function resizeRows(image: RgbImage, filter: AxisFilter, width: number): Float32Array {
  const { data, height } = image;
  const sourceRow = image.width * RGB_CHANNELS;
  const out = new Float32Array(height * width * RGB_CHANNELS);
  let target = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let source = y * sourceRow + filter.first[x] * RGB_CHANNELS;
      let weight = x * filter.stride;
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let tap = filter.count[x]; tap > 0; tap--) {
        const w = filter.weights[weight++];
        red += w * data[source];
        green += w * data[source + 1];
        blue += w * data[source + 2];
        source += RGB_CHANNELS;
      }
      out[target] = red;
      out[target + 1] = green;
      out[target + 2] = blue;
      target += RGB_CHANNELS;
    }
  }
  return out;
}

/** Vertical pass: the row-resized floats to `height` rows, rounded to bytes. */
function resizeColumns(rows: Float32Array, width: number, filter: AxisFilter, height: number): RgbImage {
  const rowLength = width * RGB_CHANNELS;
  const data = Buffer.alloc(height * rowLength);
  // A clamped view rounds to the nearest byte on assignment.
  const out = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  for (let y = 0; y < height; y++) {
    const firstRow = filter.first[y] * rowLength;
    const weights = y * filter.stride;
    const taps = filter.count[y];
    const target = y * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let value = 0;
      let source = firstRow + i;
      for (let tap = 0; tap < taps; tap++) {
        value += filter.weights[weights + tap] * rows[source];
        source += rowLength;
      }
      out[target + i] = value;
    }
  }
  return { data, width, height };
}
