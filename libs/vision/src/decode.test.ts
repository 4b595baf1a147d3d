import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodePhoto, ImageDecodeError } from './decode';
import type { RgbImage } from './image';

const LIMITS = { maxSide: 1024, maxInputPixels: 10_000_000 };

/** Left half red, right half blue. */
async function halvesJpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  }
  const encoder = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (orientation) encoder.withMetadata({ orientation });
  return encoder.jpeg({ quality: 95 }).toBuffer();
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const offset = (y * image.width + x) * 3;
  return [...image.data.subarray(offset, offset + 3)];
}

function assertColorNear(actual: number[], expected: number[]): void {
  actual.forEach((value, index) => assert.ok(Math.abs(value - expected[index]) < 40, `${actual} vs ${expected}`));
}

test('decodePhoto returns packed RGB of the right size', async () => {
  const decoded = await decodePhoto(await halvesJpeg(64, 32), LIMITS);
  assert.equal(decoded.image.width, 64);
  assert.equal(decoded.image.height, 32);
  assert.equal(decoded.image.data.length, 64 * 32 * 3);
  assert.equal(decoded.scale, 1);
  assertColorNear(pixel(decoded.image, 2, 2), [255, 0, 0]);
  assertColorNear(pixel(decoded.image, 60, 2), [0, 0, 255]);
});

test('decodePhoto applies the EXIF orientation (6 = rotate 90° clockwise)', async () => {
  const decoded = await decodePhoto(await halvesJpeg(64, 32, 6), LIMITS);
  assert.equal(decoded.originalWidth, 32);
  assert.equal(decoded.originalHeight, 64);
  assert.equal(decoded.image.width, 32);
  assert.equal(decoded.image.height, 64);
  // The stored left (red) half is now on top.
  assertColorNear(pixel(decoded.image, 16, 4), [255, 0, 0]);
  assertColorNear(pixel(decoded.image, 16, 60), [0, 0, 255]);
});

test('decodePhoto shrinks to maxSide and never enlarges', async () => {
  const jpeg = await halvesJpeg(400, 200);
  const small = await decodePhoto(jpeg, { ...LIMITS, maxSide: 100 });
  assert.deepEqual([small.image.width, small.image.height], [100, 50]);
  assert.deepEqual([small.originalWidth, small.originalHeight], [400, 200]);
  assert.equal(small.scale, 0.25);

  const unchanged = await decodePhoto(jpeg, { ...LIMITS, maxSide: 5000 });
  assert.deepEqual([unchanged.image.width, unchanged.image.height], [400, 200]);
  assert.equal(unchanged.scale, 1);
});

test('decodePhoto makes 3-channel RGB from greyscale and RGBA', async () => {
  const grey = await sharp(Buffer.alloc(20 * 10, 128), { raw: { width: 20, height: 10, channels: 1 } }).png().toBuffer();
  const decodedGrey = await decodePhoto(grey, LIMITS);
  assert.equal(decodedGrey.image.data.length, 20 * 10 * 3);
  assert.deepEqual(pixel(decodedGrey.image, 5, 5), [128, 128, 128]);

  const rgba = await sharp(Buffer.alloc(20 * 10 * 4, 200), { raw: { width: 20, height: 10, channels: 4 } }).png().toBuffer();
  const decodedRgba = await decodePhoto(rgba, LIMITS);
  assert.equal(decodedRgba.image.data.length, 20 * 10 * 3);
  assert.deepEqual(pixel(decodedRgba.image, 5, 5), [200, 200, 200]);
});

test('decodePhoto refuses images over the pixel limit with ImageDecodeError', async () => {
  await assert.rejects(decodePhoto(await halvesJpeg(200, 100), { ...LIMITS, maxInputPixels: 19_999 }), (error) => {
    assert.ok(error instanceof ImageDecodeError);
    assert.match(error.message, /pixel/);
    return true;
  });
});

test('decodePhoto refuses garbage, empty input and non-photo formats with ImageDecodeError', async () => {
  await assert.rejects(decodePhoto(Buffer.from('definitely not an image'), LIMITS), ImageDecodeError);
  await assert.rejects(decodePhoto(Buffer.alloc(0), LIMITS), ImageDecodeError);
  const truncated = (await halvesJpeg(64, 64)).subarray(0, 200);
  await assert.rejects(decodePhoto(truncated, LIMITS), ImageDecodeError);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  await assert.rejects(decodePhoto(svg, LIMITS), /unsupported image format/);
});

test('decodePhoto refuses a progressive JPEG whose coefficients need more than maxMemoryBytes; the baseline one decodes', async () => {
  const image = () => sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#567' } });
  const progressive = await image().jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer();
  const baseline = await image().jpeg({ chromaSubsampling: '4:4:4' }).toBuffer();
  // 1000×1000 × 3 planes × 2 bytes = 5.7 MiB of coefficients, over a 4 MiB limit.
  const limits = { ...LIMITS, maxSide: 100, maxMemoryBytes: 4 * 1024 * 1024 };
  await assert.rejects(decodePhoto(progressive, limits), (error) => {
    assert.ok(error instanceof ImageDecodeError);
    assert.equal(error.message, 'progressive JPEG of 1000×1000 pixels needs about 6 MiB to decode, over the limit of 4 MiB');
    return true;
  });
  assert.equal((await decodePhoto(baseline, limits)).image.width, 100);
  assert.equal((await decodePhoto(progressive, { ...limits, maxMemoryBytes: 8 * 1024 * 1024 })).image.width, 100);
});
