import type { InferenceSession } from 'onnxruntime-node';
import { float32Tensor, runByPosition } from '../onnx-session';
import type { Candidate } from './candidate';
import { packTilesIntoCanvases, type CanvasPacking } from './packing';
import {
  candidatesInWindow,
  mergeLevels,
  pnetInputSize,
  pnetMapSize,
  PNET_STRIDE,
  runPNetLevel,
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

/**
 * Which levels share canvases, and how big a canvas gets. P-Net's cost on this kind of CPU is not
 * "fixed cost per run + cost per pixel": the cost per pixel itself grows with the input, from
 * ≈ 70 ns up to 64 × 64 px (its feature maps stay in the core's cache) to ≈ 110–140 ns from about
 * 100 × 100 px on. So a canvas must stay small: packing large levels would cost more per pixel
 * than the runs it saves (≈ 40 µs each). Small levels are where a run is mostly fixed cost.
 */
export interface PackedLayout {
  /** Levels whose P-Net input has fewer pixels than this are packed; larger ones run alone. */
  smallLevelPixels: number;
  /** Canvas width and height limit, in pixels. */
  canvasSide: number;
  fixedShape?: boolean;
}

export const DEFAULT_PACKED_LAYOUT: Readonly<PackedLayout> = Object.freeze({ smallLevelPixels: 2304, canvasSide: 64 });

interface Tile {
  photo: number;
  level: PyramidLevel;
}

/**
 * Stage 1 for several photos: each large level alone (as proposeCandidates runs it), the small
 * levels of all the photos packed onto a few small canvases, P-Net once per canvas, candidates
 * mapped back to their level and photo; then per level NMS, per photo cross-level NMS, regressed
 * and squared for R-Net, exactly as proposeCandidates does for one photo. One list per photo.
 */
export async function proposeCandidatesPacked(
  session: InferenceSession,
  pyramids: readonly (readonly PyramidLevel[])[],
  threshold: number,
  layout: Readonly<PackedLayout> = DEFAULT_PACKED_LAYOUT,
): Promise<Candidate[][]> {
  const perPhoto: Candidate[][] = pyramids.map(() => []);
  const small: Tile[] = [];
  for (const [photo, levels] of pyramids.entries()) {
    for (const level of levels) {
      if (inputPixels(level) >= layout.smallLevelPixels) perPhoto[photo].push(...(await runPNetLevel(session, level, threshold)));
      else small.push({ photo, level });
    }
  }
  const sizes = small.map(({ level }) => ({ width: pnetInputSize(level.image.width), height: pnetInputSize(level.image.height) }));
  for (const canvas of packTilesIntoCanvases(sizes, layout.canvasSide, layout.canvasSide, PNET_STRIDE)) {
    const tiles = canvas.tiles.map((index) => small[index]);
    if (layout.fixedShape) { canvas.width = Math.max(canvas.width, layout.canvasSide); canvas.height = Math.max(canvas.height, layout.canvasSide); }
    const perTile = await runCanvas(session, canvas, tiles, threshold);
    tiles.forEach((tile, index) => perPhoto[tile.photo].push(...perTile[index]));
  }
  return perPhoto.map(mergeLevels);
}

function inputPixels(level: PyramidLevel): number {
  return pnetInputSize(level.image.width) * pnetInputSize(level.image.height);
}

/**
 * Writes the tiles onto the canvas, runs P-Net once and returns each tile's candidates after
 * same-scale NMS. Canvas space outside the tiles stays zero; the cells reading it are never used.
 */
async function runCanvas(session: InferenceSession, canvas: CanvasPacking, tiles: readonly Tile[], threshold: number): Promise<Candidate[][]> {
  const input = new Float32Array(canvas.width * canvas.height * 3);
  tiles.forEach(({ level }, index) => {
    const { x, y } = canvas.placements[index];
    writePNetInput(level.image, input, canvas.height, x, y);
  });

  const [probabilityMap, regressionMap] = await runByPosition(session, float32Tensor(input, [1, canvas.width, canvas.height, 3]));
  const probabilities = probabilityMap.data as Float32Array;
  const regressions = regressionMap.data as Float32Array;
  const mapHeight = probabilityMap.dims[2];
  return tiles.map((tile, index) => {
    const { x, y } = canvas.placements[index];
    const window = {
      left: x / PNET_STRIDE,
      top: y / PNET_STRIDE,
      width: pnetMapSize(tile.level.image.width),
      height: pnetMapSize(tile.level.image.height),
    };
    return suppressWithinLevel(candidatesInWindow(probabilities, regressions, mapHeight, window, tile.level, threshold));
  });
}
