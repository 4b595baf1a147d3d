import type { Box, RgbImage } from '../image';

/*
 * MTCNN input tensors. The weights were trained in Caffe on column-major images, so every input is
 * fed TRANSPOSED: element [n, x, y, c] holds pixel (x, y), i.e. layout [N, W, H, 3]. Pixels are
 * normalised to (value − 127.5) / 128.
 */

const MEAN = 127.5;
const INVERSE_STD = 1 / 128;

/** Writes the whole image as one [W, H, 3] transposed, normalised tensor item at `offset`. */
export function writeTransposedImage(image: RgbImage, out: Float32Array, offset = 0): void {
  writeTransposedTile(image, out, offset, image.height, 0, 0);
}

/**
 * Writes the image transposed and normalised into a larger [canvasWidth, canvasHeight, 3] tensor
 * item at `offset`, with the image's top-left corner at canvas pixel (left, top).
 */
export function writeTransposedTile(
  image: RgbImage,
  out: Float32Array,
  offset: number,
  canvasHeight: number,
  left: number,
  top: number,
): void {
  const { data, width, height } = image;
  const rowStride = width * 3;
  // Column by column: the writes into the (possibly large) canvas are sequential, and the strided
  // reads stay within the small source image, which fits the cache.
  for (let x = 0; x < width; x++) {
    let source = x * 3;
    let target = offset + ((left + x) * canvasHeight + top) * 3;
    for (let y = 0; y < height; y++) {
      out[target] = (data[source] - MEAN) * INVERSE_STD;
      out[target + 1] = (data[source + 1] - MEAN) * INVERSE_STD;
      out[target + 2] = (data[source + 2] - MEAN) * INVERSE_STD;
      source += rowStride;
      target += 3;
    }
  }
}

/**
 * Bilinear taps along one axis: output sample i reads source pixels first[i] and first[i] + 1
 * with weights weightFirst[i] and weightSecond[i]. Taps that fall outside the image get weight 0
 * (and a clamped, harmless index), so the inner loop needs no bounds checks: outside = black,
 * matching the zero padding of the reference implementation.
 */
interface AxisTaps {
  first: Int32Array;
  second: Int32Array;
  weightFirst: Float32Array;
  weightSecond: Float32Array;
}

function axisTaps(start: number, extent: number, size: number, sourceLength: number): AxisTaps {
  const taps: AxisTaps = {
    first: new Int32Array(size),
    second: new Int32Array(size),
    weightFirst: new Float32Array(size),
    weightSecond: new Float32Array(size),
  };
  const step = extent / size;
  for (let i = 0; i < size; i++) {
    // Centre of output sample i in continuous coordinates, -0.5 for pixel-index coordinates.
    const position = start + (i + 0.5) * step - 0.5;
    const index = Math.floor(position);
    const fraction = position - index;
    const insideFirst = index >= 0 && index < sourceLength;
    const insideSecond = index + 1 >= 0 && index + 1 < sourceLength;
    taps.first[i] = insideFirst ? index : 0;
    taps.second[i] = insideSecond ? index + 1 : 0;
    taps.weightFirst[i] = insideFirst ? 1 - fraction : 0;
    taps.weightSecond[i] = insideSecond ? fraction : 0;
  }
  return taps;
}

/**
 * Resamples the square `box` (in `image` pixels; may extend past the edges) to size×size and writes
 * it as one transposed, normalised tensor item at `offset` (R-Net / O-Net input).
 */
export function writeTransposedCrop(image: RgbImage, box: Box, size: number, out: Float32Array, offset: number): void {
  const { data, width } = image;
  const columns = axisTaps(box.x1, box.x2 - box.x1, size, image.width);
  const rows = axisTaps(box.y1, box.y2 - box.y1, size, image.height);
  for (let outY = 0; outY < size; outY++) {
    const topRow = rows.first[outY] * width;
    const bottomRow = rows.second[outY] * width;
    const weightTop = rows.weightFirst[outY];
    const weightBottom = rows.weightSecond[outY];
    for (let outX = 0; outX < size; outX++) {
      const weightLeft = columns.weightFirst[outX];
      const weightRight = columns.weightSecond[outX];
      const topLeft = (topRow + columns.first[outX]) * 3;
      const topRight = (topRow + columns.second[outX]) * 3;
      const bottomLeft = (bottomRow + columns.first[outX]) * 3;
      const bottomRight = (bottomRow + columns.second[outX]) * 3;
      const target = offset + (outX * size + outY) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const value =
          weightTop * (weightLeft * data[topLeft + channel] + weightRight * data[topRight + channel]) +
          weightBottom * (weightLeft * data[bottomLeft + channel] + weightRight * data[bottomRight + channel]);
        out[target + channel] = (value - MEAN) * INVERSE_STD;
      }
    }
  }
}

/**
 * For a tile written with writeTransposedTile: copies its last column into the canvas column just
 * right of it when its width is odd, and likewise its last row below it when its height is odd.
 */
export function replicateOddTileEdges(
  out: Float32Array,
  offset: number,
  canvasHeight: number,
  left: number,
  top: number,
  width: number,
  height: number,
): void {
  const columnLength = canvasHeight * 3;
  const columnStart = (x: number) => offset + x * columnLength + top * 3;
  if (width % 2 === 1) {
    const source = columnStart(left + width - 1);
    out.copyWithin(columnStart(left + width), source, source + height * 3);
  }
  if (height % 2 === 1) {
    const columns = width + (width % 2);
    for (let x = left; x < left + columns; x++) {
      const source = columnStart(x) + (height - 1) * 3;
      out.copyWithin(source + 3, source, source + 3);
    }
  }
}
