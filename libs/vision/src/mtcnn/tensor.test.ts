import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRgbImage } from '../image';
import { candidatesInWindow, generateCandidates, pnetInputSize, pnetMapSize } from './pnet';
import { pickLevelForCrop, pyramidScales } from './pyramid';
import { replicateOddTileEdges, writeTransposedCrop, writeTransposedImage, writeTransposedTile } from './tensor';

const normalized = (value: number) => (value - 127.5) / 128;

/** 3 wide × 2 high; red = 10·x + y, so every pixel is distinguishable. */
function smallImage() {
  const image = createRgbImage(3, 2);
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) image.data.set([10 * x + y, 100, 200], (y * 3 + x) * 3);
  }
  return image;
}

test('writeTransposedImage lays out [W, H, 3] with (v − 127.5) / 128', () => {
  const out = new Float32Array(3 * 2 * 3);
  writeTransposedImage(smallImage(), out);
  for (let x = 0; x < 3; x++) {
    for (let y = 0; y < 2; y++) {
      const index = (x * 2 + y) * 3; // element [x, y]
      assert.ok(Math.abs(out[index] - normalized(10 * x + y)) < 1e-6);
      assert.ok(Math.abs(out[index + 2] - normalized(200)) < 1e-6);
    }
  }
});

test('writeTransposedTile places the image at (left, top) of a taller, wider canvas', () => {
  const canvasWidth = 6;
  const canvasHeight = 5;
  const out = new Float32Array(canvasWidth * canvasHeight * 3);
  writeTransposedTile(smallImage(), out, 0, canvasHeight, 2, 1);
  for (let x = 0; x < canvasWidth; x++) {
    for (let y = 0; y < canvasHeight; y++) {
      const inside = x >= 2 && x < 5 && y >= 1 && y < 3;
      const expected = inside ? normalized(10 * (x - 2) + (y - 1)) : 0;
      assert.ok(Math.abs(out[(x * canvasHeight + y) * 3] - expected) < 1e-6, `canvas (${x}, ${y})`);
    }
  }
});

test('replicateOddTileEdges copies the last column and row of an odd tile just past it', () => {
  const canvasHeight = 4;
  const out = new Float32Array(5 * canvasHeight * 3);
  writeTransposedTile(smallImage(), out, 0, canvasHeight, 1, 1); // 3 × 2 at (1, 1): x 1..3, y 1..2
  replicateOddTileEdges(out, 0, canvasHeight, 1, 1, 3, 2);
  const red = (x: number, y: number) => out[(x * canvasHeight + y) * 3];
  for (let y = 1; y <= 2; y++) assert.equal(red(4, y), red(3, y), `row ${y}`); // odd width: column 4 = column 3
  for (let x = 0; x < 5; x++) assert.equal(red(x, 3), 0, `column ${x}`); // even height: no extra row
  assert.equal(red(0, 1), 0);

  const square = new Float32Array(4 * 4 * 3);
  writeTransposedTile(smallImage(), square, 0, 4, 0, 0);
  replicateOddTileEdges(square, 0, 4, 0, 0, 3, 3); // as if 3 × 3: odd both ways, corner included
  assert.equal(square[(3 * 4 + 3) * 3], square[(2 * 4 + 2) * 3]);
});

test('writeTransposedCrop of the whole image at its own size equals the transposed image', () => {
  const image = createRgbImage(4, 4);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 37) % 256;
  const expected = new Float32Array(4 * 4 * 3);
  writeTransposedImage(image, expected);
  const out = new Float32Array(4 * 4 * 3 + 5);
  writeTransposedCrop(image, { x1: 0, y1: 0, x2: 4, y2: 4 }, 4, out, 5);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(out[5 + i] - expected[i]) < 1e-6);
});

test('writeTransposedCrop pads outside the image with black', () => {
  const image = createRgbImage(4, 4);
  image.data.fill(255);
  const out = new Float32Array(8 * 8 * 3);
  writeTransposedCrop(image, { x1: -4, y1: 0, x2: 4, y2: 8 }, 8, out, 0);
  // Output column 0 (x = −3.5 in the source) is outside; element [x=0, y=0].
  assert.ok(Math.abs(out[0] - normalized(0)) < 1e-6);
  // Output column 6, row 2 is inside: element [x=6, y=2].
  assert.ok(Math.abs(out[(6 * 8 + 2) * 3] - normalized(255)) < 1e-6);
});

test('generateCandidates reads transposed P-Net maps (cell x, y at x·mapHeight + y)', () => {
  const mapWidth = 4;
  const mapHeight = 3;
  const probabilities = new Float32Array(mapWidth * mapHeight * 2);
  const regressions = new Float32Array(mapWidth * mapHeight * 4);
  const cell = 3 * mapHeight + 1; // x = 3, y = 1
  probabilities[cell * 2 + 1] = 0.9;
  regressions.set([0.1, 0.2, 0.3, 0.4], cell * 4);
  const candidates = generateCandidates(probabilities, regressions, mapWidth, mapHeight, { scaleX: 0.5, scaleY: 0.5 }, 0.6);
  assert.equal(candidates.length, 1);
  // Window at (2·3, 2·1) = (6, 2), 12 px, at scale 0.5 → working pixels ×2.
  assert.deepEqual(candidates[0].box, { x1: 12, y1: 4, x2: 36, y2: 28 });
  assert.deepEqual(
    Object.values(candidates[0].regression).map((value) => Math.round(value * 10) / 10),
    [0.1, 0.2, 0.3, 0.4],
  );
  assert.ok(Math.abs(candidates[0].score - 0.9) < 1e-6);
});

test('candidatesInWindow reads one tile of a larger map, with boxes relative to the tile', () => {
  const mapWidth = 6;
  const mapHeight = 5;
  const probabilities = new Float32Array(mapWidth * mapHeight * 2);
  const regressions = new Float32Array(mapWidth * mapHeight * 4);
  probabilities[(4 * mapHeight + 3) * 2 + 1] = 0.9; // map cell (4, 3) = window cell (1, 1)
  probabilities[(1 * mapHeight + 1) * 2 + 1] = 0.95; // outside the window
  const window = { left: 3, top: 2, width: 2, height: 2 };
  const candidates = candidatesInWindow(probabilities, regressions, mapHeight, window, { scaleX: 1, scaleY: 1 }, 0.6);
  assert.equal(candidates.length, 1);
  assert.deepEqual(candidates[0].box, { x1: 2, y1: 2, x2: 14, y2: 14 });
});

test('P-Net input and map sizes: odd sides gain a pixel but no map cell', () => {
  assert.deepEqual([12, 13, 14, 45, 46].map(pnetInputSize), [12, 14, 14, 46, 46]);
  assert.deepEqual([12, 13, 14, 45, 46].map(pnetMapSize), [1, 2, 2, 18, 18]);
  for (let size = 12; size < 40; size++) assert.equal(pnetMapSize(pnetInputSize(size)), pnetMapSize(size));
});

test('pyramidScales start at 12 / minFaceSize and stop before the image is under 12 px', () => {
  const scales = pyramidScales(200, 100, 40, 0.5);
  assert.deepEqual(scales, [0.3, 0.15]); // 100·0.3 = 30, 100·0.15 = 15, 100·0.075 < 12
  assert.deepEqual(pyramidScales(30, 30, 40, 0.709), []);
});

test('pickLevelForCrop picks the smallest level where the box still covers the network input', () => {
  const level = (scale: number) => ({ image: createRgbImage(1, 1), scaleX: scale, scaleY: scale });
  const levels = [level(1), level(0.5), level(0.25)];
  assert.equal(pickLevelForCrop(levels, 200, 24).scaleX, 0.25); // 50 px at 0.25
  assert.equal(pickLevelForCrop(levels, 60, 24).scaleX, 0.5); // 30 px at 0.5, 15 px at 0.25
  assert.equal(pickLevelForCrop(levels, 30, 48).scaleX, 1); // too small everywhere: largest
});
