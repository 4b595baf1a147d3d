import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignFace, alignmentTransform, ARCFACE_TEMPLATE_112 } from './align';
import { applyAffine, type Affine2D } from './affine';
import { createRgbImage, type RgbImage } from './image';
import { warpAffine } from './warp';

const IDENTITY: Affine2D = [1, 0, 0, 0, 1, 0];

/** Every pixel different: r = x·10, g = y·10, b = x + y. */
function gradientImage(size: number): RgbImage {
  const image = createRgbImage(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const offset = (y * size + x) * 3;
      image.data[offset] = x * 10;
      image.data[offset + 1] = y * 10;
      image.data[offset + 2] = x + y;
    }
  }
  return image;
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const offset = (y * image.width + x) * 3;
  return [image.data[offset], image.data[offset + 1], image.data[offset + 2]];
}

test('warpAffine with the identity copies the image exactly', () => {
  const image = gradientImage(8);
  assert.deepEqual(warpAffine(image, IDENTITY, 8).data, image.data);
});

test('warpAffine with flip mirrors columns', () => {
  const image = gradientImage(8);
  const flipped = warpAffine(image, IDENTITY, 8, { flip: true });
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) assert.deepEqual(pixel(flipped, x, y), pixel(image, 7 - x, y));
  }
});

test('warpAffine translates by whole pixels and fills the outside with black', () => {
  const image = gradientImage(8);
  const shifted = warpAffine(image, [1, 0, 2, 0, 1, 0], 8); // output x = source x + 2
  assert.deepEqual(pixel(shifted, 5, 3), pixel(image, 3, 3));
  assert.deepEqual(pixel(shifted, 0, 3), [0, 0, 0]);
});

test('warpAffine averages when shrinking (no aliasing of a checkerboard)', () => {
  const checkerboard = createRgbImage(64, 64);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) checkerboard.data.fill((x + y) % 2 ? 255 : 0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
  }
  const small = warpAffine(checkerboard, [0.25, 0, 0, 0, 0.25, 0], 16);
  for (let i = 0; i < small.data.length; i++) assert.ok(Math.abs(small.data[i] - 127.5) <= 1, `value ${small.data[i]}`);
});

test('alignFace maps the landmarks onto the ArcFace template', () => {
  const landmarks = ARCFACE_TEMPLATE_112.map((point) => ({ x: point.x * 2 + 30.5, y: point.y * 2 + 10.5 }));
  const transform = alignmentTransform(landmarks, 112);
  landmarks.forEach((point, index) => {
    const mapped = applyAffine(transform, point);
    assert.ok(Math.abs(mapped.x - (ARCFACE_TEMPLATE_112[index].x + 0.5)) < 1e-6);
    assert.ok(Math.abs(mapped.y - (ARCFACE_TEMPLATE_112[index].y + 0.5)) < 1e-6);
  });
  const aligned = alignFace(gradientImage(300), landmarks, 56);
  assert.equal(aligned.width, 56);
  assert.equal(aligned.data.length, 56 * 56 * 3);
});
