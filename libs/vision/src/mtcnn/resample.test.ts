import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRgbImage } from '../image';
import { resizeRgb } from './resample';

test('resizeRgb keeps a uniform image uniform, at any size', () => {
  const image = createRgbImage(50, 40);
  for (let i = 0; i < image.data.length; i += 3) image.data.set([10, 128, 250], i);
  for (const [width, height] of [[13, 17], [50, 40], [80, 9]]) {
    const resized = resizeRgb(image, width, height);
    assert.equal(resized.data.length, width * height * 3);
    for (let i = 0; i < resized.data.length; i += 3) assert.deepEqual([...resized.data.subarray(i, i + 3)], [10, 128, 250]);
  }
});

test('resizeRgb at the same size copies the image', () => {
  const image = createRgbImage(7, 5);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 37) % 256;
  assert.deepEqual(resizeRgb(image, 7, 5).data, image.data);
});

test('resizeRgb averages when shrinking: a fine checkerboard becomes flat grey (no aliasing)', () => {
  const image = createRgbImage(64, 64);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) image.data.fill((x + y) % 2 ? 255 : 0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
  }
  const resized = resizeRgb(image, 19, 19);
  for (const value of resized.data) assert.ok(Math.abs(value - 127.5) <= 8, String(value));
});

test('resizeRgb maps pixel centres: a left-to-right ramp stays a ramp at the same relative position', () => {
  const image = createRgbImage(100, 4);
  for (let x = 0; x < 100; x++) {
    for (let y = 0; y < 4; y++) image.data.fill(2 * x, (y * 100 + x) * 3, (y * 100 + x) * 3 + 3);
  }
  const resized = resizeRgb(image, 25, 2);
  // Output pixel x is centred on source x·4 + 1.5, whose value is 2·(x·4 + 1.5) (not at the
  // ends, where the filter loses its outer taps).
  for (let x = 1; x < 24; x++) assert.ok(Math.abs(resized.data[x * 3] - 2 * (x * 4 + 1.5)) <= 0.5, `x=${x}: ${resized.data[x * 3]}`);
});
