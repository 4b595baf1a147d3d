/**
 * HDBSCAN for large libraries (10^4–10^6 faces), cosine distance on unit vectors, in O(n)
 * memory: no n×n matrix is ever held.
 *
 * 1. k nearest neighbours of every point from an inverted-file index (knn/cell-index.ts):
 *    each point against the points of the cells nearest to it, one model call (SGEMM and
 *    TopK in onnxruntime) per cell with all the points that probe it.
 * 2. Core distance = distance to the (minSamples−1)-th neighbour, as in the exact path.
 * 3. Minimum spanning tree of mutual reachability by Borůvka rounds: each round adds every
 *    component's lightest edge to another component. A point's kNN list settles its own best
 *    edge when that edge is no heavier than the point's last listed neighbour (no unlisted
 *    point can be nearer); the other points search their probed cells, and only while their
 *    lower bound can still beat their component's best. A search keeps the point's k lightest
 *    edges to other components as its new list, so later rounds reuse it: components only
 *    grow, so a listed point that joined the component is skipped and no unlisted point can
 *    be lighter than the last listed one. A component whose probed cells hold no
 *    other component searches the cells nearest its mean. Rounds at least halve the number of
 *    components. (Kruskal over the kNN graph alone is not enough: it joins two points through
 *    a third at a tie weight when a lighter path between them exists outside the graph.)
 * 4. The spanning tree goes through the same condensed tree and excess-of-mass selection as
 *    the exact path (hdbscan-tree.ts).
 *
 * Steps 1 and 3 are approximate only where a true neighbour lies outside the probed cells;
 * the equivalence tests compare the partitions with the exact path.
 */
import { allNoise, clusterSpanningTree, type HdbscanResult, type SpanningEdges } from './hdbscan-tree';
import { buildCellIndex, findNearest, gatherRows, pick, searchProbedCells, type CellIndex, type CellIndexOptions } from './knn/cell-index';
import { EXCLUDED_DISTANCE, type SimilarityEngine } from './knn/similarity-engine';
import { findRoot } from './union-find';

export interface ScalableHdbscanOptions {
  minClusterSize: number;
  minSamples: number;
  singleClusterMaxDistance?: number;
  /** Neighbours per point in the kNN graph (default max(minSamples, 10)). */
  neighbours?: number;
  index?: CellIndexOptions;
  /** Called with the milliseconds of each stage, for benchmarks. */
  onStage?: (stage: string, milliseconds: number) => void;
}

/** `points`: n unit vectors of `dimension` floats, back to back. */
export async function hdbscanScalable(
  points: Float32Array,
  dimension: number,
  engine: SimilarityEngine,
  options: ScalableHdbscanOptions,
): Promise<HdbscanResult> {
  const n = points.length / dimension;
  const { minClusterSize, minSamples } = options;
  if (!Number.isInteger(n)) throw new RangeError('points.length is not a multiple of dimension');
  if (minClusterSize < 2) throw new RangeError('minClusterSize must be at least 2');
  if (minSamples < 1) throw new RangeError('minSamples must be at least 1');
  if (n < minClusterSize || n < 2) return allNoise(n);
  let clock = performance.now();
  const stage = (name: string) => {
    const now = performance.now();
    options.onStage?.(name, now - clock);
    clock = now;
  };

  const { index, edges } = await spanningTreeWithIndex(points, dimension, engine, options, stage);
  const result = clusterSpanningTree(edges, n, { minClusterSize, singleClusterMaxDistance: options.singleClusterMaxDistance });
  stage('tree');
  // Back from cell order to the caller's order.
  const labels = new Int32Array(n);
  const probabilities = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    labels[index.original[r]] = result.labels[r];
    probabilities[index.original[r]] = result.probabilities[r];
  }
  return { labels: renumberByFirstPoint(labels), probabilities, clusterCount: result.clusterCount };
}

/**
 * Steps 1–3: a spanning tree of the mutual-reachability graph, in row (cell) order, with the
 * index that maps rows back to points (`index.original`).
 */
export async function spanningTreeWithIndex(
  points: Float32Array,
  dimension: number,
  engine: SimilarityEngine,
  options: Pick<ScalableHdbscanOptions, 'minSamples' | 'neighbours' | 'index'>,
  stage: (name: string) => void = () => {},
): Promise<{ index: CellIndex; edges: SpanningEdges; core: Float64Array }> {
  const n = points.length / dimension;
  const { minSamples } = options;
  const k = Math.min(n - 1, Math.max(minSamples - 1, options.neighbours ?? 16));
  const index = await buildCellIndex(points, dimension, engine, options.index);
  stage('index');
  const graph = await nearestNeighbours(index, k, engine);
  stage('knn');
  const core = new Float64Array(n);
  if (minSamples >= 2) for (let r = 0; r < n; r++) core[r] = graph.distances[r * k + minSamples - 2];
  const forest = new SpanningForest(n);
  await boruvka(index, graph, k, core, forest, engine);
  stage('spanning-tree');
  return { index, edges: forest.edges(), core };
}

interface KnnGraph {
  /** Row-space neighbours, k per row, nearest first; -1 where fewer were found. */
  neighbours: Int32Array;
  distances: Float32Array;
}

async function nearestNeighbours(index: CellIndex, k: number, engine: SimilarityEngine): Promise<KnnGraph> {
  const { n } = index;
  const graph: KnnGraph = { neighbours: new Int32Array(n * k), distances: new Float32Array(n * k) };
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[r] = r;
  await searchProbedCells(index, engine, rows, k, graph);
  return graph;
}

/**
 * Writes each query's found list into rows of `neighbours`/`distances` (k slots per row).
 * Returns nothing; excluded pairs end the list (-1, Infinity).
 */
function storeLists(
  found: { indices: Int32Array; distances: Float32Array; k: number },
  queryRows: Int32Array,
  candidateRows: Int32Array,
  neighbours: Int32Array,
  distances: Float32Array,
  k: number,
): void {
  for (let i = 0; i < queryRows.length; i++) {
    const row = queryRows[i];
    for (let slot = 0; slot < k; slot++) {
      const distance = slot < found.k ? found.distances[i * found.k + slot] : EXCLUDED_DISTANCE;
      const listed = distance < EXCLUDED_DISTANCE;
      neighbours[row * k + slot] = listed ? candidateRows[found.indices[i * found.k + slot]] : -1;
      distances[row * k + slot] = listed ? distance : Infinity;
    }
  }
}

/** Union-find over the points plus the accepted edges. */
class SpanningForest {
  readonly parent: Int32Array;
  private readonly size: Int32Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly weight: Float64Array;
  count = 0;

  constructor(readonly n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.size = new Int32Array(n).fill(1);
    this.a = new Int32Array(Math.max(0, n - 1));
    this.b = new Int32Array(Math.max(0, n - 1));
    this.weight = new Float64Array(Math.max(0, n - 1));
  }

  find(x: number): number {
    return findRoot(this.parent, x);
  }

  /** Adds the edge unless it closes a cycle; true if added. */
  add(a: number, b: number, weight: number): boolean {
    let rootA = this.find(a);
    let rootB = this.find(b);
    if (rootA === rootB) return false;
    if (this.size[rootA] < this.size[rootB]) [rootA, rootB] = [rootB, rootA];
    this.parent[rootB] = rootA;
    this.size[rootA] += this.size[rootB];
    this.a[this.count] = a;
    this.b[this.count] = b;
    this.weight[this.count] = weight;
    this.count++;
    return true;
  }

  get components(): number {
    return this.n - this.count;
  }

  edges(): SpanningEdges {
    return { a: this.a.subarray(0, this.count), b: this.b.subarray(0, this.count), weight: this.weight.subarray(0, this.count) };
  }
}

/** Borůvka searches run in about this many chunks per round, each of at least SEARCH_CHUNK_MIN points. */
const SEARCH_CHUNKS = 8;
const SEARCH_CHUNK_MIN = 16_384;

/**
 * Borůvka rounds until one tree is left: each round adds every component's lightest
 * mutual-reachability edge to another component. A point's list answers for it when its
 * best edge to another component there is no heavier than its bound (nothing unlisted is
 * lighter); only the other points search the probed cells, and only while their bound can
 * still beat their component's best. A search replaces the point's list with its k lightest
 * edges to other components (mutual-reachability weights), which stay valid in later rounds.
 */
async function boruvka(
  index: CellIndex,
  graph: KnnGraph,
  k: number,
  core: Float64Array,
  forest: SpanningForest,
  engine: SimilarityEngine,
): Promise<void> {
  const { n, dimension, cellStart } = index;
  const { neighbours, distances } = graph;
  // Lower bound of any unlisted edge at a row: max(core, its last listed distance); a list that
  // is not full holds every candidate of the probed cells, so nothing unlisted is in reach.
  const bound = new Float64Array(n);
  for (let r = 0; r < n; r++) bound[r] = neighbours[r * k + k - 1] < 0 ? Infinity : Math.max(core[r], distances[r * k + k - 1]);
  const coreFloor = Float32Array.from(core);
  const component = new Int32Array(n);
  const bestWeight = new Float64Array(n);
  const bestA = new Int32Array(n);
  const bestB = new Int32Array(n);
  const offer = (a: number, b: number, weight: number) => {
    const ca = component[a];
    if (weight < bestWeight[ca]) {
      bestWeight[ca] = weight;
      bestA[ca] = a;
      bestB[ca] = b;
    }
    const cb = component[b];
    if (weight < bestWeight[cb]) {
      bestWeight[cb] = weight;
      bestA[cb] = b;
      bestB[cb] = a;
    }
  };
  const unanswered = new Uint8Array(n);
  const offerFirst = (row: number) => {
    bound[row] = neighbours[row * k + k - 1] < 0 ? Infinity : Math.max(core[row], distances[row * k + k - 1]);
    const other = neighbours[row * k];
    if (other >= 0) offer(row, other, Math.max(distances[row * k], core[row], core[other]));
  };
  /** Searches `queryRows` against explicit candidates, keeps their new lists and offers their best edges. */
  const search = async (queryRows: Int32Array, candidateRows: Int32Array, candidateData: Float32Array) => {
    const found = await findNearest(engine, {
      queries: gatherRows(index, queryRows),
      candidates: candidateData,
      dimension,
      k,
      queryFloor: pick(coreFloor, queryRows),
      candidateFloor: pick(coreFloor, candidateRows),
      queryGroup: pick(component, queryRows),
      candidateGroup: pick(component, candidateRows),
    });
    storeLists(found, queryRows, candidateRows, neighbours, distances, k);
    for (const row of queryRows) offerFirst(row);
  };

  while (forest.components > 1) {
    for (let r = 0; r < n; r++) component[r] = forest.find(r);
    bestWeight.fill(Infinity);
    bestA.fill(-1);
    unanswered.fill(0);
    for (let r = 0; r < n; r++) {
      const own = component[r];
      let best = Infinity;
      let bestRow = -1;
      for (let slot = r * k; slot < r * k + k; slot++) {
        const other = neighbours[slot];
        if (other < 0) break;
        if (component[other] === own) continue;
        const weight = Math.max(distances[slot], core[r], core[other]);
        if (weight < best) {
          best = weight;
          bestRow = other;
        }
      }
      if (bestRow >= 0) offer(r, bestRow, best);
      if (best > bound[r]) unanswered[r] = 1;
    }

    // The unanswered points search their probed cells, in chunks (in cell order), so that
    // the bests found by one chunk let the next skip points that can no longer beat them.
    const chunk = Math.max(SEARCH_CHUNK_MIN, Math.ceil(n / SEARCH_CHUNKS));
    for (let start = 0; start < n; start += chunk) {
      const rows: number[] = [];
      for (let r = start; r < Math.min(n, start + chunk); r++) if (unanswered[r] && bound[r] < bestWeight[component[r]]) rows.push(r);
      if (rows.length === 0) continue;
      const queryRows = Int32Array.from(rows);
      await searchProbedCells(index, engine, queryRows, k, graph, { floor: coreFloor, group: component });
      for (const row of queryRows) offerFirst(row);
    }
    await searchUnreachedComponents(index, component, bestA, search);

    let joined = 0;
    for (let r = 0; r < n; r++) {
      if (component[r] === r && bestA[r] >= 0 && forest.add(bestA[r], bestB[r], bestWeight[r])) joined++;
    }
    if (joined === 0) throw new Error('no edge joins the remaining components');
  }
}

/**
 * Components that met no other component in their probed cells (e.g. one that fills all the
 * cells around it) search, with all their points, the points of other components in the cells
 * whose centroids are nearest the component's mean direction.
 */
async function searchUnreachedComponents(
  index: CellIndex,
  component: Int32Array,
  bestA: Int32Array,
  search: (queryRows: Int32Array, candidateRows: Int32Array, candidateData: Float32Array) => Promise<void>,
): Promise<void> {
  const { n, dimension, cellStart, cellCount, centroids, data } = index;
  const unreached = new Set<number>();
  for (let r = 0; r < n; r++) if (component[r] === r && bestA[r] < 0) unreached.add(r);
  if (unreached.size === 0) return;
  const members = new Map<number, number[]>([...unreached].map((root) => [root, []]));
  for (let r = 0; r < n; r++) members.get(component[r])?.push(r);
  for (const [root, rows] of members) {
    const mean = new Float64Array(dimension);
    for (const r of rows) {
      for (let j = 0; j < dimension; j++) mean[j] += data[r * dimension + j];
    }
    // Cells holding other components, by how close their centroids are to the mean direction.
    const cells: Array<{ cell: number; score: number }> = [];
    for (let c = 0; c < cellCount; c++) {
      let other = false;
      for (let r = cellStart[c]; r < cellStart[c + 1] && !other; r++) other = component[r] !== root;
      if (!other) continue;
      let score = 0;
      for (let j = 0; j < dimension; j++) score += mean[j] * centroids[c * dimension + j];
      cells.push({ cell: c, score });
    }
    cells.sort((x, y) => y.score - x.score);
    const candidateRows: number[] = [];
    for (const { cell } of cells.slice(0, index.probeCount)) {
      for (let r = cellStart[cell]; r < cellStart[cell + 1]; r++) if (component[r] !== root) candidateRows.push(r);
    }
    const candidates = Int32Array.from(candidateRows);
    await search(Int32Array.from(rows), candidates, gatherRows(index, candidates));
  }
}

/** Labels renumbered 0.. in order of each cluster's first point, as the exact path numbers them. */
function renumberByFirstPoint(labels: Int32Array): Int32Array {
  const mapping = new Map<number, number>();
  return labels.map((label) => {
    if (label < 0) return -1;
    let mapped = mapping.get(label);
    if (mapped === undefined) {
      mapped = mapping.size;
      mapping.set(label, mapped);
    }
    return mapped;
  });
}
