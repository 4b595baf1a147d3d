import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packTiles, type Packing, type TileSize } from './packing';

/** Sizes of an MTCNN pyramid: scale 0.3, then ×0.709 while the short side stays ≥ 12 px. */
function pyramidTiles(width: number, height: number): TileSize[] {
  const tiles: TileSize[] = [];
  for (let scale = 0.3; Math.min(width, height) * scale >= 12; scale *= 0.709) {
    tiles.push({ width: Math.ceil(width * scale), height: Math.ceil(height * scale) });
  }
  return tiles;
}

function assertValidPacking(tiles: readonly TileSize[], packing: Packing, alignment: number): void {
  assert.equal(packing.placements.length, tiles.length);
  tiles.forEach((tile, i) => {
    const at = packing.placements[i];
    assert.equal(at.x % alignment, 0, `tile ${i} x`);
    assert.equal(at.y % alignment, 0, `tile ${i} y`);
    assert.ok(at.x >= 0 && at.y >= 0 && at.x + tile.width <= packing.width && at.y + tile.height <= packing.height, `tile ${i} inside`);
    for (let j = 0; j < i; j++) {
      const other = packing.placements[j];
      const apart =
        at.x + tile.width <= other.x || other.x + tiles[j].width <= at.x || at.y + tile.height <= other.y || other.y + tiles[j].height <= at.y;
      assert.ok(apart, `tiles ${j} and ${i} overlap`);
    }
  });
}

function fillRatio(tiles: readonly TileSize[], packing: Packing): number {
  return tiles.reduce((sum, tile) => sum + tile.width * tile.height, 0) / (packing.width * packing.height);
}

test('packTiles places pyramids without overlap, on the alignment grid, filling most of the canvas', () => {
  for (const [width, height] of [[1024, 683], [683, 1024], [1024, 1024], [640, 480], [150, 150]]) {
    const tiles = pyramidTiles(width, height);
    const packing = packTiles(tiles, 2);
    assertValidPacking(tiles, packing, 2);
    assert.ok(fillRatio(tiles, packing) > 0.8, `${width}×${height}: ${fillRatio(tiles, packing)}`);
  }
});

test('packTiles keeps odd-sized tiles a pixel apart when aligning to 2', () => {
  const tiles = [{ width: 13, height: 13 }, { width: 13, height: 13 }];
  const packing = packTiles(tiles, 2);
  assertValidPacking(tiles.map(() => ({ width: 14, height: 14 })), packing, 2);
});

test('packTiles packs the pyramids of several photos into one canvas', () => {
  const tiles = [...pyramidTiles(1024, 683), ...pyramidTiles(150, 150), ...pyramidTiles(150, 150), ...pyramidTiles(480, 640)];
  const packing = packTiles(tiles, 2);
  assertValidPacking(tiles, packing, 2);
  assert.ok(fillRatio(tiles, packing) > 0.85, String(fillRatio(tiles, packing)));
});

test('packTiles: one tile fills the canvas; no tiles, no canvas', () => {
  assert.deepEqual(packTiles([{ width: 45, height: 30 }], 2), { width: 46, height: 30, placements: [{ x: 0, y: 0 }] });
  assert.deepEqual(packTiles([]), { width: 0, height: 0, placements: [] });
});
