/**
 * Exact HDBSCAN (Campello, Moulavi & Sander 2013; the condensed-tree formulation of the
 * `hdbscan` Python library) for one owner's face embeddings.
 *
 * Written here rather than taken from `hdbscan-ts` because that package (1.0.17) returns
 * wrong partitions: it splits well-separated blobs into fragments and merges points of
 * different blobs (see hdbscan.test.ts, which records the disagreement). This version
 * computes distances on the fly (Prim's MST over mutual reachability): O(n²·d) time and
 * O(n) memory. It is the reference for the scalable path (hdbscan-scalable.ts), which the
 * clusterer uses for large libraries.
 */
import { allNoise, clusterSpanningTree, type HdbscanResult, type SpanningEdges } from './hdbscan-tree';

export type { HdbscanResult } from './hdbscan-tree';

export type Metric = 'cosine' | 'euclidean';

export interface HdbscanOptions {
  /** Smallest group that counts as a cluster. */
  minClusterSize: number;
  /** Neighbourhood size for core distances (the point itself counts as the first). */
  minSamples: number;
  /** `cosine` expects unit vectors (1 − dot product). */
  metric?: Metric;
  /** See TreeOptions.singleClusterMaxDistance: one cluster when the hierarchy never splits. */
  singleClusterMaxDistance?: number;
}

type Distance = (a: Float32Array, b: Float32Array) => number;

const distances: Record<Metric, Distance> = {
  cosine: (a, b) => {
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
    return Math.max(0, 1 - dot);
  },
  euclidean: (a, b) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const diff = a[i] - b[i];
      sum += diff * diff;
    }
    return Math.sqrt(sum);
  },
};

export function hdbscan(points: Float32Array[], options: HdbscanOptions): HdbscanResult {
  const n = points.length;
  const { minClusterSize, minSamples } = options;
  if (minClusterSize < 2) throw new RangeError('minClusterSize must be at least 2');
  if (minSamples < 1) throw new RangeError('minSamples must be at least 1');
  if (n < minClusterSize || n < 2) return allNoise(n);

  return clusterSpanningTree(exactSpanningTree(points, minSamples, options.metric), n, {
    minClusterSize,
    singleClusterMaxDistance: options.singleClusterMaxDistance,
  });
}

/** The minimum spanning tree of the mutual-reachability graph (the reference the scalable path approximates). */
export function exactSpanningTree(points: Float32Array[], minSamples: number, metric: Metric = 'cosine'): SpanningEdges {
  const distance = distances[metric];
  return minimumSpanningTree(points, coreDistances(points, minSamples, distance), distance);
}

/** Distance from each point to its minSamples-th nearest neighbour (itself included). */
function coreDistances(points: Float32Array[], minSamples: number, distance: Distance): Float64Array {
  const n = points.length;
  const k = Math.min(minSamples - 1, n - 1);
  const core = new Float64Array(n);
  if (k === 0) return core;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = i === j ? 0 : distance(points[i], points[j]);
    core[i] = kthSmallest(row, k);
  }
  return core;
}

/** k-th smallest (0-based) by quickselect on a scratch copy. */
function kthSmallest(values: Float64Array, k: number): number {
  const a = Float64Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Prim's algorithm on the complete mutual-reachability graph, distances computed on the fly. */
function minimumSpanningTree(points: Float32Array[], core: Float64Array, distance: Distance): SpanningEdges {
  const n = points.length;
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const bestFrom = new Int32Array(n).fill(-1);
  const edges: SpanningEdges = { a: new Int32Array(n - 1), b: new Int32Array(n - 1), weight: new Float64Array(n - 1) };
  let current = 0;
  inTree[0] = 1;
  for (let added = 1; added < n; added++) {
    let next = -1;
    let nextWeight = Infinity;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const reach = Math.max(distance(points[current], points[j]), core[current], core[j]);
      if (reach < best[j]) {
        best[j] = reach;
        bestFrom[j] = current;
      }
      if (best[j] < nextWeight) {
        nextWeight = best[j];
        next = j;
      }
    }
    inTree[next] = 1;
    edges.a[added - 1] = bestFrom[next];
    edges.b[added - 1] = next;
    edges.weight[added - 1] = nextWeight;
    current = next;
  }
  return edges;
}
