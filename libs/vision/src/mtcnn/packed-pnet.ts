import type { InferenceSession } from 'onnxruntime-node';
import { float32Tensor, runByPosition } from '../onnx-session';
import type { Candidate } from './candidate';
import { packTiles } from './packing';
import {
  candidatesInWindow,
  mergeLevels,
  pnetInputSize,
  pnetMapSize,
  PNET_STRIDE,
  suppressWithinLevel,
  writePNetInput,
} from './pnet';
import type { PyramidLevel } from './pyramid';

/*
 * Stage 1 with the "pyramid on a single image" trick: the pyramid levels (of one or several
 * photos) are tiles of one canvas, and P-Net runs once per canvas instead of once per level.
 *
 * Why this gives the per-level results: P-Net has only unpadded convolutions and one 2×2 pool of
 * stride 2, so output cell c sees input pixels [2c, 2c + 12) and nothing else. A tile is a level's
 * P-Net input, already rounded up to even sizes (see pnetInputSize), placed at even canvas
 * coordinates: its cells are canvas cells shifted by a whole number of cells, and each of them
 * reads only pixels of its own tile. So tiles can touch (no gap needed), and the canvas cells
 * that straddle two tiles or lie in unused space are simply never read.
 */

/** Bounds one canvas: 4 M pixels ≈ 48 MB of float32 input. A larger single level gets its own. */
const MAX_CANVAS_PIXELS = 4_000_000;

interface Tile {
  photo: number;
  level: PyramidLevel;
}

/**
 * Stage 1 for several photos: P-Net once per canvas, candidates mapped back to their level and
 * photo, then per level NMS, per photo cross-level NMS, regressed and squared for R-Net, exactly
 * as proposeCandidates does for one photo. Returns one list per photo.
 */
export async function proposeCandidatesPacked(
  session: InferenceSession,
  pyramids: readonly (readonly PyramidLevel[])[],
  threshold: number,
): Promise<Candidate[][]> {
  const perPhoto: Candidate[][] = pyramids.map(() => []);
  for (const tiles of canvasGroups(pyramids)) {
    const perTile = await runCanvas(session, tiles, threshold);
    tiles.forEach((tile, index) => perPhoto[tile.photo].push(...perTile[index]));
  }
  return perPhoto.map(mergeLevels);
}

/** All levels of all photos, in order, cut into groups that each fit one canvas. */
function canvasGroups(pyramids: readonly (readonly PyramidLevel[])[]): Tile[][] {
  const groups: Tile[][] = [];
  let current: Tile[] = [];
  let pixels = 0;
  pyramids.forEach((levels, photo) => {
    for (const level of levels) {
      const tilePixels = level.image.width * level.image.height;
      if (current.length > 0 && pixels + tilePixels > MAX_CANVAS_PIXELS) {
        groups.push(current);
        current = [];
        pixels = 0;
      }
      current.push({ photo, level });
      pixels += tilePixels;
    }
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Packs the tiles, runs P-Net once and returns each tile's candidates after same-scale NMS. */
async function runCanvas(session: InferenceSession, tiles: readonly Tile[], threshold: number): Promise<Candidate[][]> {
  const packing = packTiles(
    tiles.map(({ level }) => ({ width: pnetInputSize(level.image.width), height: pnetInputSize(level.image.height) })),
    PNET_STRIDE,
  );
  const input = new Float32Array(packing.width * packing.height * 3);
  tiles.forEach(({ level }, index) => {
    const { x, y } = packing.placements[index];
    writePNetInput(level.image, input, packing.height, x, y);
  });

  const [probabilityMap, regressionMap] = await runByPosition(session, float32Tensor(input, [1, packing.width, packing.height, 3]));
  const probabilities = probabilityMap.data as Float32Array;
  const regressions = regressionMap.data as Float32Array;
  const mapHeight = probabilityMap.dims[2];
  return tiles.map((tile, index) => {
    const { x, y } = packing.placements[index];
    const window = {
      left: x / PNET_STRIDE,
      top: y / PNET_STRIDE,
      width: pnetMapSize(tile.level.image.width),
      height: pnetMapSize(tile.level.image.height),
    };
    return suppressWithinLevel(candidatesInWindow(probabilities, regressions, mapHeight, window, tile.level, threshold));
  });
}
