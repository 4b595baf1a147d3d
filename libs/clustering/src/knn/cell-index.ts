/**
 * An inverted-file (IVF) partition of unit vectors for approximate nearest-neighbour search:
 * spherical k-means cells, rows numbered cell by cell, and for every cell the cells nearest to
 * it ("probes"). A cell's points are searched exactly against the points of its probed cells
 * with one model call per cell (SGEMM and TopK in onnxruntime, see similarity-engine.ts).
 * Written here because no maintained JavaScript ANN library does batched all-points kNN on
 * typed arrays within memory (HNSW ports build per-node objects and answer one query at a
 * time; pgvector's HNSW answers one SQL query per face: see the bench).
 */
import { EXCLUDED_DISTANCE, type NearestRequest, type NearestResult, type SimilarityEngine } from './similarity-engine';

export interface CellIndex {
  n: number;
  dimension: number;
  /** The vectors in row order (each cell's rows contiguous): row r is point original[r]. */
  data: Float32Array;
  original: Int32Array;
  /** Rows of cell c: cellStart[c] .. cellStart[c+1]-1. */
  cellStart: Int32Array;
  cellCount: number;
  /** Unit centroid of every cell, back to back. */
  centroids: Float32Array;
  /**
   * probes[r·probeCount + i]: the cells searched for row r, its nearest centroids first (its own
   * cell first). Per point rather than per cell: a point near a cell's edge gets the cells on
   * its side, which finds markedly more of its true neighbours (dev-set faces: 2 wrong core
   * distances of 286 instead of 11 at the same probe count).
   */
  probes: Int32Array;
  probeCount: number;
}

export interface CellIndexOptions {
  /** Mean points per cell (default DEFAULT_CELL_SIZE). */
  cellSize?: number;
  /** Cells searched per query cell (default DEFAULT_PROBE_COUNT). */
  probeCount?: number;
  /** k-means rounds on a sample (default 6). */
  iterations?: number;
  seed?: number;
  /**
   * The caller gives up `points`: they are permuted into row order in place instead of copied
   * (a million 192-d faces are 768 MB). Default false.
   */
  reorderInPlace?: boolean;
}

/** Chosen with tools/bench/clustering.ts (see docs/clustering.md). */
export const DEFAULT_CELL_SIZE = 512;
export const DEFAULT_PROBE_COUNT = 12;

/** Most query × candidate pairs per model call: its intermediate matrices stay ≈ 16 MiB each. */
export const MAX_PAIRS_PER_CALL = 4 << 20;

export async function buildCellIndex(
  points: Float32Array,
  dimension: number,
  engine: SimilarityEngine,
  options: CellIndexOptions = {},
): Promise<CellIndex> {
  const n = points.length / dimension;
  const cellCount = Math.max(1, Math.min(n, Math.round(n / (options.cellSize ?? DEFAULT_CELL_SIZE))));
  const probeCount = Math.min(cellCount, options.probeCount ?? DEFAULT_PROBE_COUNT);
  const random = seededRandom(options.seed ?? 1);

  const centroids = await sphericalKMeans(points, dimension, cellCount, options.iterations ?? 6, engine, random);
  const nearestCells = await findNearest(engine, { queries: points, candidates: centroids, dimension, k: probeCount });
  const stride = nearestCells.k;

  // Counting sort of the rows by cell (the nearest centroid).
  const cellStart = new Int32Array(cellCount + 1);
  for (let i = 0; i < n; i++) cellStart[nearestCells.indices[i * stride] + 1]++;
  for (let c = 0; c < cellCount; c++) cellStart[c + 1] += cellStart[c];
  const fill = cellStart.slice(0, cellCount);
  const original = new Int32Array(n);
  const probes = new Int32Array(n * probeCount);
  for (let i = 0; i < n; i++) {
    const row = fill[nearestCells.indices[i * stride]]++;
    original[row] = i;
    probes.set(nearestCells.indices.subarray(i * stride, i * stride + probeCount), row * probeCount);
  }
  const data = options.reorderInPlace ? permuteRowsInPlace(points, original, dimension) : gatherPoints(points, original, dimension);
  return { n, dimension, data, original, cellStart, cellCount, centroids, probes, probeCount };
}

function gatherPoints(points: Float32Array, original: Int32Array, dimension: number): Float32Array {
  const data = new Float32Array(points.length);
  for (let row = 0; row < original.length; row++) data.set(points.subarray(original[row] * dimension, (original[row] + 1) * dimension), row * dimension);
  return data;
}

/** Row r ← point original[r], in place, following the permutation's cycles with one spare vector. */
function permuteRowsInPlace(points: Float32Array, original: Int32Array, dimension: number): Float32Array {
  const done = new Uint8Array(original.length);
  const spare = new Float32Array(dimension);
  for (let start = 0; start < original.length; start++) {
    if (done[start]) continue;
    spare.set(points.subarray(start * dimension, (start + 1) * dimension));
    let row = start;
    while (original[row] !== start) {
      const from = original[row];
      points.copyWithin(row * dimension, from * dimension, (from + 1) * dimension);
      done[row] = 1;
      row = from;
    }
    points.set(spare, row * dimension);
    done[row] = 1;
  }
  return points;
}

/**
 * The k nearest rows of every row in `queryRows` among the rows of its probed cells, written
 * into `neighbours`/`distances` (k slots per row, nearest first, -1/Infinity where fewer), by
 * distance(q, r) = max(1 − q·r, floor[q], floor[r]) (floor unset: 0), excluding rows of the
 * query's own group (group unset: only the query itself). One model call per probed cell, with
 * every query that probes it; the per-cell lists are merged.
 */
export async function searchProbedCells(
  index: CellIndex,
  engine: SimilarityEngine,
  queryRows: Int32Array,
  k: number,
  target: { neighbours: Int32Array; distances: Float32Array },
  options: { floor?: Float32Array; group?: Int32Array } = {},
): Promise<void> {
  const { cellCount, cellStart, probes, probeCount, dimension } = index;
  const { neighbours, distances } = target;
  const { floor, group } = options;
  const m = queryRows.length;
  for (const row of queryRows) {
    neighbours.fill(-1, row * k, row * k + k);
    distances.fill(Infinity, row * k, row * k + k);
  }
  // Queries by probed cell (CSR).
  const bucketStart = new Int32Array(cellCount + 1);
  for (let i = 0; i < m; i++) for (let p = 0; p < probeCount; p++) bucketStart[probes[queryRows[i] * probeCount + p] + 1]++;
  for (let c = 0; c < cellCount; c++) bucketStart[c + 1] += bucketStart[c];
  const bucketFill = bucketStart.slice(0, cellCount);
  const bucket = new Int32Array(m * probeCount);
  for (let i = 0; i < m; i++) for (let p = 0; p < probeCount; p++) bucket[bucketFill[probes[queryRows[i] * probeCount + p]]++] = queryRows[i];

  for (let cell = 0; cell < cellCount; cell++) {
    const first = cellStart[cell];
    const count = cellStart[cell + 1] - first;
    const rows = bucket.subarray(bucketStart[cell], bucketStart[cell + 1]);
    if (count === 0 || rows.length === 0) continue;
    const candidateRows = new Int32Array(count);
    for (let i = 0; i < count; i++) candidateRows[i] = first + i;
    const candidateGroup = group ? pick(group, candidateRows) : candidateRows;
    if (group && allEqual(candidateGroup) && allEqual(pick(group, rows), candidateGroup[0])) continue; // all excluded
    const found = await findNearest(engine, {
      queries: gatherRows(index, rows),
      candidates: index.data.subarray(first * dimension, (first + count) * dimension),
      dimension,
      k,
      ...(floor ? { queryFloor: pick(floor, rows), candidateFloor: pick(floor, candidateRows) } : {}),
      queryGroup: group ? pick(group, rows) : rows,
      candidateGroup,
    });
    for (let i = 0; i < rows.length; i++) {
      const base = rows[i] * k;
      for (let s = 0; s < found.k; s++) {
        const distance = found.distances[i * found.k + s];
        if (!(distance < EXCLUDED_DISTANCE) || !(distance < distances[base + k - 1])) break; // sorted: the rest are no nearer
        let slot = k - 1;
        while (slot > 0 && distances[base + slot - 1] > distance) {
          distances[base + slot] = distances[base + slot - 1];
          neighbours[base + slot] = neighbours[base + slot - 1];
          slot--;
        }
        distances[base + slot] = distance;
        neighbours[base + slot] = candidateRows[found.indices[i * found.k + s]];
      }
    }
  }
}

/** values[rows[i]] for every i. */
export function pick<T extends Float32Array | Int32Array>(values: T, rows: Int32Array): T {
  const out = new (values.constructor as new (length: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

function allEqual(values: Int32Array, value = values[0]): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== value) return false;
  return true;
}

/** The vectors of `rows`, back to back; runs of consecutive rows are copied in one piece. */
export function gatherRows(index: CellIndex, rows: ArrayLike<number>): Float32Array {
  const { data, dimension } = index;
  const out = new Float32Array(rows.length * dimension);
  let start = 0;
  while (start < rows.length) {
    let end = start + 1;
    while (end < rows.length && rows[end] === rows[end - 1] + 1) end++;
    out.set(data.subarray(rows[start] * dimension, (rows[end - 1] + 1) * dimension), start * dimension);
    start = end;
  }
  return out;
}

/** engine.nearest over any number of queries, in calls of at most MAX_PAIRS_PER_CALL pairs. */
export async function findNearest(engine: SimilarityEngine, request: NearestRequest): Promise<NearestResult> {
  const { dimension } = request;
  const m = request.queries.length / dimension;
  const c = request.candidates.length / dimension;
  const k = Math.min(request.k, c);
  const step = Math.max(1, Math.floor(MAX_PAIRS_PER_CALL / Math.max(1, c)));
  if (m <= step) return engine.nearest(request);
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  for (let first = 0; first < m; first += step) {
    const end = Math.min(m, first + step);
    const part = await engine.nearest({
      ...request,
      queries: request.queries.subarray(first * dimension, end * dimension),
      queryFloor: request.queryFloor?.subarray(first, end),
      queryGroup: request.queryGroup?.subarray(first, end),
    });
    indices.set(part.indices, first * k);
    distances.set(part.distances, first * k);
  }
  return { indices, distances, k };
}

/** For every row of `points`, the row of `centroids` with the largest dot product. */
async function nearestRows(points: Float32Array, centroids: Float32Array, dimension: number, engine: SimilarityEngine): Promise<Int32Array> {
  return (await findNearest(engine, { queries: points, candidates: centroids, dimension, k: 1 })).indices;
}

/** Spherical k-means on a sample of at most 40 points per cell; returns unit centroids. */
async function sphericalKMeans(
  points: Float32Array,
  dimension: number,
  k: number,
  iterations: number,
  engine: SimilarityEngine,
  random: () => number,
): Promise<Float32Array> {
  const n = points.length / dimension;
  const sampleRows = sampleWithoutReplacement(n, Math.min(n, k * 40), random);
  const sample = new Float32Array(sampleRows.length * dimension);
  sampleRows.forEach((row, i) => sample.set(points.subarray(row * dimension, (row + 1) * dimension), i * dimension));
  const centroids = sample.slice(0, k * dimension); // the sample is in random order
  const sums = new Float64Array(k * dimension);
  const counts = new Int32Array(k);
  for (let round = 0; round < iterations; round++) {
    const nearest = await nearestRows(sample, centroids, dimension, engine);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < nearest.length; i++) {
      const c = nearest[i];
      counts[c]++;
      for (let j = 0; j < dimension; j++) sums[c * dimension + j] += sample[i * dimension + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty cell restarts at a random sample point.
        const row = Math.floor(random() * nearest.length);
        centroids.set(sample.subarray(row * dimension, (row + 1) * dimension), c * dimension);
        continue;
      }
      let norm = 0;
      for (let j = 0; j < dimension; j++) norm += sums[c * dimension + j] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < dimension; j++) centroids[c * dimension + j] = sums[c * dimension + j] / norm;
    }
  }
  return centroids;
}

function sampleWithoutReplacement(n: number, count: number, random: () => number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = rows[i];
    rows[i] = rows[j];
    rows[j] = t;
  }
  return rows.slice(0, count);
}

/** Deterministic pseudo-random numbers (mulberry32), so runs reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
