import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { ALIGNED_FACE_SIZE } from '../align';
import { createRgbImage, type RgbImage } from '../image';
import { ALIGNED_SHARPNESS_REGION, faceSharpness, isBlurry, laplacianVariance, toGrey, type GreyImage } from './blur';

function greyImage(width: number, height: number, value: (x: number, y: number) => number): GreyImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { data, width, height };
}

/** A detailed 112×112 picture: text and fine stripes drawn as SVG, the way real edges look. */
async function detailedCrop(): Promise<RgbImage> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${ALIGNED_FACE_SIZE}" height="${ALIGNED_FACE_SIZE}">` +
    '<rect width="100%" height="100%" fill="#d8c0a8"/>' +
    Array.from({ length: 14 }, (_, i) => `<rect x="${i * 8}" y="0" width="3" height="40" fill="#402010"/>`).join('') +
    '<circle cx="40" cy="60" r="9" fill="#201008"/><circle cx="72" cy="60" r="9" fill="#201008"/>' +
    '<text x="20" y="100" font-family="DejaVu Sans" font-size="18" fill="#000">sharp edges</text></svg>';
  return rgb(sharp(Buffer.from(svg)));
}

async function rgb(pipeline: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function blurred(image: RgbImage, sigma: number): Promise<RgbImage> {
  return rgb(sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).blur(sigma));
}

test('laplacianVariance of a flat image is 0 and of a single bright pixel is exact', () => {
  assert.equal(laplacianVariance(greyImage(10, 10, () => 77)), 0);
  // Impulse of height 1 at (5, 5): Laplacian −4 there, +1 at its four neighbours, 0 elsewhere;
  // over the 8×8 interior the mean is 0 and the variance (16 + 4·1) / 64.
  const impulse = greyImage(10, 10, (x, y) => (x === 5 && y === 5 ? 1 : 0));
  assert.ok(Math.abs(laplacianVariance(impulse) - 20 / 64) < 1e-12);
  // A linear ramp has no second derivative.
  assert.ok(laplacianVariance(greyImage(10, 10, (x, y) => 3 * x + 2 * y)) < 1e-9);
});

test('laplacianVariance only looks inside the region', () => {
  const edgeOnTheRim = greyImage(20, 20, (x) => (x < 2 ? 255 : 0));
  assert.ok(laplacianVariance(edgeOnTheRim) > 0);
  assert.equal(laplacianVariance(edgeOnTheRim, { x: 5, y: 5, width: 10, height: 10 }), 0);
  assert.equal(laplacianVariance(edgeOnTheRim, { x: 30, y: 30, width: 5, height: 5 }), 0, 'empty region');
});

test('toGrey uses BT.601 luma', () => {
  const image = createRgbImage(2, 1);
  image.data.set([255, 0, 0, 0, 0, 255]);
  const grey = toGrey(image);
  assert.ok(Math.abs(grey.data[0] - 0.299 * 255) < 1e-3 && Math.abs(grey.data[1] - 0.114 * 255) < 1e-3);
});

test('sharpness falls steadily as sharp blurs the crop more', async () => {
  const crop = await detailedCrop();
  const values = [faceSharpness(crop)];
  for (const sigma of [0.8, 1.5, 3, 6]) values.push(faceSharpness(await blurred(crop, sigma)));
  for (let i = 1; i < values.length; i++) assert.ok(values[i] < values[i - 1], `σ step ${i}: ${values.join(', ')}`);
  assert.ok(values[0] > 20 * values[3], `sharp ${values[0]} vs σ 3 ${values[3]}`);
});

test('faceSharpness measures the central region of the aligned crop only', () => {
  const crop = createRgbImage(ALIGNED_FACE_SIZE, ALIGNED_FACE_SIZE);
  // High-contrast stripes in the top rim rows, outside ALIGNED_SHARPNESS_REGION.
  for (let y = 0; y < ALIGNED_SHARPNESS_REGION.y - 1; y++) {
    for (let x = 0; x < ALIGNED_FACE_SIZE; x += 2) crop.data.fill(255, (y * ALIGNED_FACE_SIZE + x) * 3, (y * ALIGNED_FACE_SIZE + x + 1) * 3);
  }
  assert.equal(faceSharpness(crop), 0);
});

test('isBlurry compares with the threshold', () => {
  assert.equal(isBlurry(5, 18), true);
  assert.equal(isBlurry(18, 18), false);
  assert.equal(isBlurry(400, 18), false);
});
