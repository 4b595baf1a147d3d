import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packTilesIntoCanvases, type CanvasPacking, type TileSize } from './packing';

/** Sizes of an MTCNN pyramid: scale 0.3, then ×0.709 while the short side stays ≥ 12 px. */
function pyramidTiles(width: number, height: number): TileSize[] {
  const tiles: TileSize[] = [];
  for (let scale = 0.3; Math.min(width, height) * scale >= 12; scale *= 0.709) {
    tiles.push({ width: Math.ceil(width * scale), height: Math.ceil(height * scale) });
  }
  return tiles;
}

/** Every tile on exactly one canvas, aligned, inside it, overlapping no other tile of that canvas. */
function assertValidPacking(tiles: readonly TileSize[], canvases: readonly CanvasPacking[], alignment: number): void {
  const placed = canvases.flatMap((canvas) => canvas.tiles).sort((a, b) => a - b);
  assert.deepEqual(placed, tiles.map((_, index) => index), 'each tile once');
  for (const canvas of canvases) {
    canvas.tiles.forEach((tileIndex, i) => {
      const tile = tiles[tileIndex];
      const at = canvas.placements[i];
      assert.equal(at.x % alignment, 0, `tile ${tileIndex} x`);
      assert.equal(at.y % alignment, 0, `tile ${tileIndex} y`);
      assert.ok(at.x >= 0 && at.y >= 0 && at.x + tile.width <= canvas.width && at.y + tile.height <= canvas.height, `tile ${tileIndex} inside`);
      for (let j = 0; j < i; j++) {
        const other = canvas.placements[j];
        const otherTile = tiles[canvas.tiles[j]];
        const apart =
          at.x + roundUp(tile.width, alignment) <= other.x ||
          other.x + roundUp(otherTile.width, alignment) <= at.x ||
          at.y + roundUp(tile.height, alignment) <= other.y ||
          other.y + roundUp(otherTile.height, alignment) <= at.y;
        assert.ok(apart, `tiles ${canvas.tiles[j]} and ${tileIndex} overlap`);
      }
    });
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function fillRatio(tiles: readonly TileSize[], canvases: readonly CanvasPacking[]): number {
  const used = tiles.reduce((sum, tile) => sum + tile.width * tile.height, 0);
  return used / canvases.reduce((sum, canvas) => sum + canvas.width * canvas.height, 0);
}

test('packTilesIntoCanvases places the small levels of a pyramid on the alignment grid, without overlap', () => {
  for (const [width, height] of [[1024, 683], [683, 1024], [1024, 1024], [640, 480], [150, 150]]) {
    const tiles = pyramidTiles(width, height).filter((tile) => tile.width * tile.height < 2304);
    const canvases = packTilesIntoCanvases(tiles, 64, 64, 2);
    assertValidPacking(tiles, canvases, 2);
    for (const canvas of canvases) assert.ok(canvas.width <= 64 && canvas.height <= 64, `${width}×${height}: ${canvas.width}×${canvas.height}`);
  }
});

test('packTilesIntoCanvases keeps odd-sized tiles a pixel apart when aligning to 2', () => {
  const tiles = [{ width: 13, height: 13 }, { width: 13, height: 13 }];
  const [canvas, ...rest] = packTilesIntoCanvases(tiles, 64, 64, 2);
  assert.equal(rest.length, 0);
  assertValidPacking(tiles, [canvas], 2);
  assert.deepEqual(canvas, { width: 28, height: 14, tiles: [0, 1], placements: [{ x: 0, y: 0 }, { x: 14, y: 0 }] });
});

test('packTilesIntoCanvases fills few canvases with the small levels of many photos', () => {
  const photos = [[1024, 683], [150, 150], [150, 150], [480, 640], [150, 150], [1024, 576], [150, 150], [512, 512]];
  const tiles = photos.flatMap(([width, height]) => pyramidTiles(width, height)).filter((tile) => tile.width * tile.height < 2304);
  const canvases = packTilesIntoCanvases(tiles, 64, 64, 2);
  assertValidPacking(tiles, canvases, 2);
  assert.ok(canvases.length * 3 <= tiles.length, `${tiles.length} tiles on ${canvases.length} canvases`);
  assert.ok(fillRatio(tiles, canvases) > 0.8, String(fillRatio(tiles, canvases)));
});

test('packTilesIntoCanvases: a tile wider or taller than the canvas widens or heightens it; no tiles, no canvas', () => {
  const tiles = [{ width: 20, height: 20 }, { width: 101, height: 30 }, { width: 30, height: 90 }];
  const canvases = packTilesIntoCanvases(tiles, 64, 64, 2);
  assertValidPacking(tiles, canvases, 2);
  assert.deepEqual(
    canvases.map(({ width, height }) => [width, height]),
    [[50, 90], [102, 30]],
  );
  assert.deepEqual(packTilesIntoCanvases([], 64, 64), []);
});
