/**
 * Plain image and geometry types shared by the whole vision library.
 *
 * Coordinate convention: continuous pixel coordinates, pixel (i, j) covers [i, i+1) × [j, j+1),
 * so its centre is (i + 0.5, j + 0.5) and a box covering a W×H image is {0, 0, W, H}.
 */

/** Packed 8-bit RGB, 3 channels, row-major, no padding between rows. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const RGB_CHANNELS = 3;

export function createRgbImage(width: number, height: number): RgbImage {
  return { data: Buffer.alloc(width * height * RGB_CHANNELS), width, height };
}

/** Throws when the buffer length does not match the declared dimensions. */
export function assertRgbImage(image: RgbImage): void {
  const expected = image.width * image.height * RGB_CHANNELS;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new RangeError(`invalid image size ${image.width}x${image.height}`);
  }
  if (image.data.length !== expected) {
    throw new RangeError(`RGB image ${image.width}x${image.height} needs ${expected} bytes, got ${image.data.length}`);
  }
}
