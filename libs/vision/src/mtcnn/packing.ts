/*
 * Rectangle packing for the "pyramid on a single image" trick: every pyramid level becomes a tile
 * of one canvas that P-Net runs on once. P-Net's cost grows with the canvas area, so the packer
 * looks for the smallest canvas; the tiles are few (about ten per photo), so trying several
 * canvas widths is cheap.
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

export interface Packing {
  width: number;
  height: number;
  /** placements[i] is where sizes[i] goes. */
  placements: TilePlacement[];
}

/** A run of the skyline: the canvas is filled up to `y` over [x, x + width). */
interface SkylineSegment {
  x: number;
  width: number;
  y: number;
}

/**
 * Packs the tiles without overlap so that every corner is a multiple of `alignment`: each tile
 * occupies its size rounded up to the alignment. Largest tiles first, each at the lowest free
 * spot (skyline bottom-left), for several canvas widths; returns the packing of smallest area.
 */
export function packTiles(sizes: readonly TileSize[], alignment = 1): Packing {
  if (sizes.length === 0) return { width: 0, height: 0, placements: [] };
  const footprints = sizes.map((size) => ({ width: roundUp(size.width, alignment), height: roundUp(size.height, alignment) }));
  const order = footprints.map((_, index) => index).sort((a, b) => footprints[b].height - footprints[a].height || footprints[b].width - footprints[a].width);

  let best: Packing | undefined;
  for (const canvasWidth of candidateWidths(footprints, alignment)) {
    const packing = packSkyline(footprints, order, canvasWidth);
    if (!best || packing.width * packing.height < best.width * best.height) best = packing;
  }
  return best as Packing;
}

/**
 * Canvas widths worth trying: from the widest tile (one column) to all tiles side by side (one
 * row), spread geometrically, plus the width of a square of the tiles' total area.
 */
function candidateWidths(footprints: readonly TileSize[], alignment: number): number[] {
  const widest = Math.max(...footprints.map((tile) => tile.width));
  const sideBySide = footprints.reduce((sum, tile) => sum + tile.width, 0);
  const square = Math.sqrt(footprints.reduce((sum, tile) => sum + tile.width * tile.height, 0));
  const widths = new Set<number>([widest, sideBySide]);
  const steps = 24;
  for (let step = 0; step <= steps; step++) widths.add(widest * (sideBySide / widest) ** (step / steps));
  for (const factor of [1, 1.1, 1.25]) widths.add(square * factor);
  return [...widths]
    .map((width) => Math.min(sideBySide, Math.max(widest, roundUp(Math.round(width), alignment))))
    .filter((width, index, all) => all.indexOf(width) === index);
}

function packSkyline(footprints: readonly TileSize[], order: readonly number[], canvasWidth: number): Packing {
  const skyline: SkylineSegment[] = [{ x: 0, width: canvasWidth, y: 0 }];
  const placements: TilePlacement[] = new Array(footprints.length);
  let height = 0;
  for (const index of order) {
    const tile = footprints[index];
    const spot = lowestSpot(skyline, tile, canvasWidth);
    placements[index] = spot;
    raiseSkyline(skyline, spot.x, tile.width, spot.y + tile.height);
    height = Math.max(height, spot.y + tile.height);
  }
  const width = Math.max(...order.map((index) => placements[index].x + footprints[index].width));
  return { width, height, placements };
}

/** The spot, at the left end of some skyline segment, where the tile's bottom is lowest (then leftmost). */
function lowestSpot(skyline: readonly SkylineSegment[], tile: TileSize, canvasWidth: number): TilePlacement {
  let best: TilePlacement = { x: 0, y: Infinity };
  for (let start = 0; start < skyline.length && skyline[start].x + tile.width <= canvasWidth; start++) {
    const x = skyline[start].x;
    let y = 0;
    for (let segment = start; segment < skyline.length && skyline[segment].x < x + tile.width; segment++) {
      y = Math.max(y, skyline[segment].y);
    }
    if (y < best.y) best = { x, y };
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
