/*
 * Rectangle packing for the "pyramid on a single image" trick: small pyramid levels become tiles
 * of a few canvases that P-Net runs on once each. Written here rather than taken from a library:
 * the tiles must sit on P-Net's stride grid, and the canvases are capped in size (see
 * packed-pnet.ts), which the bin-packing packages on npm do not offer together.
 */

export interface TileSize {
  width: number;
  height: number;
}

/** Top-left corner of a tile on the canvas. */
export interface TilePlacement {
  x: number;
  y: number;
}


/** A run of the skyline: the canvas is filled up to `y` over [x, x + width). */
interface SkylineSegment {
  x: number;
  width: number;
  y: number;
}

/** One canvas of packTilesIntoCanvases: which tiles it holds and where. */
export interface CanvasPacking {
  width: number;
  height: number;
  /** Indices into the sizes passed in. */
  tiles: number[];
  /** placements[i] is where sizes[tiles[i]] goes. */
  placements: TilePlacement[];
}

interface OpenCanvas {
  packing: CanvasPacking;
  skyline: SkylineSegment[];
}

/**
 * Packs the tiles onto as few canvases as it can, each `canvasWidth` wide (wider if a tile is) and
 * at most `maxHeight` high (higher if a tile is), every corner a multiple of `alignment`. Tallest
 * tiles first, each at the lowest free spot (skyline bottom-left) of the first canvas where it
 * stays within the height limit, else on a new canvas; canvases are trimmed to what they use.
 * One width and no search: this runs for every detection call, and must cost far less than the
 * P-Net runs it saves (tens of µs each).
 */
export function packTilesIntoCanvases(sizes: readonly TileSize[], canvasWidth: number, maxHeight: number, alignment = 1): CanvasPacking[] {
  const footprints = sizes.map((size) => ({ width: roundUp(size.width, alignment), height: roundUp(size.height, alignment) }));
  const width = roundUp(Math.max(canvasWidth, ...footprints.map((tile) => tile.width)), alignment);
  const order = footprints.map((_, index) => index).sort((a, b) => footprints[b].height - footprints[a].height || footprints[b].width - footprints[a].width);
  const open: OpenCanvas[] = [];
  for (const index of order) {
    const tile = footprints[index];
    let target: OpenCanvas | undefined;
    let spot: TilePlacement | undefined;
    for (const canvas of open) {
      spot = lowestSpot(canvas.skyline, tile, width);
      if (spot && spot.y + tile.height <= maxHeight) {
        target = canvas;
        break;
      }
    }
    if (!target || !spot) {
      target = { packing: { width: 0, height: 0, tiles: [], placements: [] }, skyline: [{ x: 0, width, y: 0 }] };
      open.push(target);
      spot = { x: 0, y: 0 };
    }
    const { packing } = target;
    packing.tiles.push(index);
    packing.placements.push(spot);
    packing.width = Math.max(packing.width, spot.x + tile.width);
    packing.height = Math.max(packing.height, spot.y + tile.height);
    raiseSkyline(target.skyline, spot.x, tile.width, spot.y + tile.height);
  }
  return open.map((canvas) => canvas.packing);
}

/**
 * The spot, at the left end of some skyline segment, where the tile's bottom is lowest (then
 * leftmost); undefined if the tile is wider than the canvas.
 */
function lowestSpot(skyline: readonly SkylineSegment[], tile: TileSize, canvasWidth: number): TilePlacement | undefined {
  let best: TilePlacement | undefined;
  for (let start = 0; start < skyline.length && skyline[start].x + tile.width <= canvasWidth; start++) {
    const x = skyline[start].x;
    let y = 0;
    for (let segment = start; segment < skyline.length && skyline[segment].x < x + tile.width; segment++) {
      y = Math.max(y, skyline[segment].y);
    }
    if (!best || y < best.y) best = { x, y };
  }
  return best;
}

/** Sets the skyline to `top` over [x, x + width), merging neighbours of equal height. */
function raiseSkyline(skyline: SkylineSegment[], x: number, width: number, top: number): void {
  const end = x + width;
  const updated: SkylineSegment[] = [];
  for (const segment of skyline) {
    const segmentEnd = segment.x + segment.width;
    if (segmentEnd <= x || segment.x >= end) {
      updated.push(segment);
      continue;
    }
    if (segment.x < x) updated.push({ x: segment.x, width: x - segment.x, y: segment.y });
    if (segment.x <= x) updated.push({ x, width, y: top });
    if (segmentEnd > end) updated.push({ x: end, width: segmentEnd - end, y: segment.y });
  }
  skyline.length = 0;
  for (const segment of updated) {
    const previous = skyline[skyline.length - 1];
    if (previous && previous.y === segment.y) previous.width += segment.width;
    else skyline.push({ ...segment });
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
