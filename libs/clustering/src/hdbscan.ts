/**
 * Exact HDBSCAN (Campello, Moulavi & Sander 2013; the condensed-tree formulation of the
 * `hdbscan` Python library) for one owner's face embeddings.
 *
 * Written here rather than taken from `hdbscan-ts` because that package (1.0.17) returns
 * wrong partitions: it splits well-separated blobs into fragments and merges points of
 * different blobs (see hdbscan.test.ts, which records the disagreement). This version
 * computes distances on the fly (Prim's MST over mutual reachability): O(n²·d) time and
 * O(n) memory, fine for a few thousand faces; large libraries need the kNN-graph variant.
 */

export type Metric = 'cosine' | 'euclidean';

export interface HdbscanOptions {
  /** Smallest group that counts as a cluster. */
  minClusterSize: number;
  /** Neighbourhood size for core distances (the point itself counts as the first). */
  minSamples: number;
  /** `cosine` expects unit vectors (1 − dot product). */
  metric?: Metric;
}

export interface HdbscanResult {
  /** Cluster per point, 0..clusterCount-1, or -1 for noise. */
  labels: Int32Array;
  /** Membership strength in [0, 1]; 0 for noise. */
  probabilities: Float32Array;
  clusterCount: number;
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
  const distance = distances[options.metric ?? 'cosine'];

  const core = coreDistances(points, minSamples, distance);
  const tree = singleLinkageTree(minimumSpanningTree(points, core, distance), n);
  const condensed = condenseTree(tree, n, minClusterSize);
  const selected = selectClustersByExcessOfMass(condensed);
  return labelPoints(condensed, selected, n);
}

function allNoise(n: number): HdbscanResult {
  return { labels: new Int32Array(n).fill(-1), probabilities: new Float32Array(n), clusterCount: 0 };
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

interface Edge {
  a: number;
  b: number;
  weight: number;
}

/** Prim's algorithm on the complete mutual-reachability graph, distances computed on the fly. */
function minimumSpanningTree(points: Float32Array[], core: Float64Array, distance: Distance): Edge[] {
  const n = points.length;
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const bestFrom = new Int32Array(n).fill(-1);
  const edges: Edge[] = [];
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
    edges.push({ a: bestFrom[next], b: next, weight: nextWeight });
    current = next;
  }
  return edges;
}

/** Merge n-1 MST edges in ascending order; node ids n.. are the merges. */
interface LinkageTree {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
  size: Int32Array;
}

function singleLinkageTree(edges: Edge[], n: number): LinkageTree {
  edges.sort((x, y) => x.weight - y.weight);
  const nodes = 2 * n - 1;
  const parent = Int32Array.from({ length: nodes }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const tree: LinkageTree = {
    left: new Int32Array(n - 1),
    right: new Int32Array(n - 1),
    distance: new Float64Array(n - 1),
    size: new Int32Array(n - 1),
  };
  const sizeOf = (node: number) => (node < n ? 1 : tree.size[node - n]);
  edges.forEach((edge, i) => {
    const rootA = find(edge.a);
    const rootB = find(edge.b);
    const merged = n + i;
    tree.left[i] = rootA;
    tree.right[i] = rootB;
    tree.distance[i] = edge.weight;
    tree.size[i] = sizeOf(rootA) + sizeOf(rootB);
    parent[rootA] = merged;
    parent[rootB] = merged;
  });
  return tree;
}

/** One row of the condensed tree: `child` (a point < n, or a cluster id) leaves `parent` at `lambda`. */
interface CondensedEdge {
  parent: number;
  child: number;
  lambda: number;
  childSize: number;
}

interface CondensedTree {
  edges: CondensedEdge[];
  rootCluster: number;
  clusterCount: number;
}

const lambdaOf = (distance: number) => (distance > 0 ? 1 / distance : Number.MAX_VALUE);

/**
 * Walks the single-linkage tree from the root. A split where both sides have at least
 * minClusterSize points creates two child clusters; a smaller side "falls out" of the
 * current cluster as individual points at that lambda.
 */
function condenseTree(tree: LinkageTree, n: number, minClusterSize: number): CondensedTree {
  const root = 2 * n - 2;
  const rootCluster = n; // cluster ids start after point ids
  let nextCluster = rootCluster + 1;
  const edges: CondensedEdge[] = [];
  const sizeOf = (node: number) => (node < n ? 1 : tree.size[node - n]);

  const fallOut = (node: number, cluster: number, lambda: number) => {
    const stack = [node];
    while (stack.length) {
      const current = stack.pop()!;
      if (current < n) edges.push({ parent: cluster, child: current, lambda, childSize: 1 });
      else stack.push(tree.left[current - n], tree.right[current - n]);
    }
  };

  const stack: Array<{ node: number; cluster: number }> = [{ node: root, cluster: rootCluster }];
  while (stack.length) {
    // Only internal nodes are pushed: a side with a single point is never "big" (minClusterSize ≥ 2).
    const { node, cluster } = stack.pop()!;
    const index = node - n;
    const lambda = lambdaOf(tree.distance[index]);
    const left = tree.left[index];
    const right = tree.right[index];
    const leftBig = sizeOf(left) >= minClusterSize;
    const rightBig = sizeOf(right) >= minClusterSize;
    if (leftBig && rightBig) {
      for (const child of [left, right]) {
        const childCluster = nextCluster++;
        edges.push({ parent: cluster, child: childCluster, lambda, childSize: sizeOf(child) });
        stack.push({ node: child, cluster: childCluster });
      }
    } else {
      for (const [child, big] of [[left, leftBig], [right, rightBig]] as const) {
        if (big) stack.push({ node: child, cluster });
        else fallOut(child, cluster, lambda);
      }
    }
  }
  return { edges, rootCluster, clusterCount: nextCluster - rootCluster };
}

/** Excess-of-mass selection; the root is never selected (no "everything is one person"). */
function selectClustersByExcessOfMass(tree: CondensedTree): Set<number> {
  const { edges, rootCluster, clusterCount } = tree;
  const offset = (cluster: number) => cluster - rootCluster;
  const birth = new Float64Array(clusterCount);
  const stability = new Float64Array(clusterCount);
  const children: number[][] = Array.from({ length: clusterCount }, () => []);
  for (const edge of edges) {
    if (edge.child >= rootCluster) {
      birth[offset(edge.child)] = edge.lambda;
      children[offset(edge.parent)].push(edge.child);
    }
  }
  for (const edge of edges) {
    stability[offset(edge.parent)] += (edge.lambda - birth[offset(edge.parent)]) * edge.childSize;
  }

  const selected = new Set<number>();
  // Children always have larger ids than their parent, so descending ids visit leaves first.
  const subtreeStability = Float64Array.from(stability);
  for (let cluster = rootCluster + clusterCount - 1; cluster > rootCluster; cluster--) {
    const kids = children[offset(cluster)];
    const childSum = kids.reduce((sum, kid) => sum + subtreeStability[offset(kid)], 0);
    if (kids.length === 0 || stability[offset(cluster)] >= childSum) {
      selected.add(cluster);
      for (const descendant of descendantsOf(cluster, children, rootCluster)) selected.delete(descendant);
    } else {
      subtreeStability[offset(cluster)] = childSum;
    }
  }
  return selected;
}

function descendantsOf(cluster: number, children: number[][], rootCluster: number): number[] {
  const result: number[] = [];
  const stack = [...children[cluster - rootCluster]];
  while (stack.length) {
    const next = stack.pop()!;
    result.push(next);
    stack.push(...children[next - rootCluster]);
  }
  return result;
}

function labelPoints(tree: CondensedTree, selected: Set<number>, n: number): HdbscanResult {
  const { edges, rootCluster, clusterCount } = tree;
  const parentOf = new Int32Array(clusterCount).fill(-1);
  for (const edge of edges) if (edge.child >= rootCluster) parentOf[edge.child - rootCluster] = edge.parent;
  const selectedAncestor = (cluster: number): number => {
    for (let c = cluster; c !== -1; c = parentOf[c - rootCluster]) if (selected.has(c)) return c;
    return -1;
  };

  // Stable label numbering: clusters in order of their smallest point index.
  const pointCluster = new Int32Array(n).fill(-1);
  const pointLambda = new Float64Array(n);
  for (const edge of edges) {
    if (edge.child < n) {
      pointCluster[edge.child] = selectedAncestor(edge.parent);
      pointLambda[edge.child] = edge.lambda;
    }
  }
  const maxLambda = new Map<number, number>();
  for (let p = 0; p < n; p++) {
    const cluster = pointCluster[p];
    if (cluster >= 0) maxLambda.set(cluster, Math.max(maxLambda.get(cluster) ?? 0, pointLambda[p]));
  }
  const labelOf = new Map<number, number>();
  const labels = new Int32Array(n).fill(-1);
  const probabilities = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const cluster = pointCluster[p];
    if (cluster < 0) continue;
    if (!labelOf.has(cluster)) labelOf.set(cluster, labelOf.size);
    labels[p] = labelOf.get(cluster)!;
    const top = maxLambda.get(cluster)!;
    probabilities[p] = top > 0 ? Math.min(pointLambda[p], top) / top : 1;
  }
  return { labels, probabilities, clusterCount: labelOf.size };
}
