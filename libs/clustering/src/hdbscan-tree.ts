/**
 * The part of HDBSCAN after the minimum spanning tree, shared by the exact and the scalable
 * path: single-linkage tree, condensed tree, excess-of-mass selection, labels and membership
 * strengths (Campello, Moulavi & Sander 2013, in the formulation of the `hdbscan` Python
 * library). Typed arrays and explicit stacks throughout: a million points need no recursion
 * and no per-node objects.
 */

/** A spanning tree (or forest) of the mutual-reachability graph: edge i joins a[i] and b[i]. */
export interface SpanningEdges {
  a: Int32Array;
  b: Int32Array;
  weight: Float64Array;
}

export interface HdbscanResult {
  /** Cluster per point, 0..clusterCount-1 in order of each cluster's first point, or -1 for noise. */
  labels: Int32Array;
  /** Membership strength in [0, 1]; 0 for noise. */
  probabilities: Float32Array;
  clusterCount: number;
}

export interface TreeOptions {
  minClusterSize: number;
  /**
   * When the whole hierarchy holds no split into two clusters (one person and some strangers),
   * excess of mass can select nothing, since the root is never a candidate. With a value here
   * the root then becomes one cluster of the points that joined it at a mutual-reachability
   * distance of at most this much; the others stay noise. Unset: such a set is all noise.
   */
  singleClusterMaxDistance?: number;
}

export function allNoise(n: number): HdbscanResult {
  return { labels: new Int32Array(n).fill(-1), probabilities: new Float32Array(n), clusterCount: 0 };
}

/** Labels from n-1 spanning-tree edges (any order). */
export function clusterSpanningTree(edges: SpanningEdges, n: number, options: TreeOptions): HdbscanResult {
  if (edges.a.length !== n - 1) throw new RangeError(`a spanning tree of ${n} points has ${n - 1} edges, got ${edges.a.length}`);
  const linkage = singleLinkageTree(edges, n);
  const condensed = condenseTree(linkage, n, options.minClusterSize);
  const selected = selectClustersByExcessOfMass(condensed);
  if (selected.every((flag) => flag === 0) && options.singleClusterMaxDistance !== undefined) {
    return labelSingleCluster(condensed, n, options.minClusterSize, options.singleClusterMaxDistance);
  }
  return labelPoints(condensed, selected, n);
}

/** Merge nodes n.. in order of weight: node n+i joins left[i] and right[i] at distance[i]. */
interface LinkageTree {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
  size: Int32Array;
}

function singleLinkageTree(edges: SpanningEdges, n: number): LinkageTree {
  const m = n - 1;
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const { weight } = edges;
  // Ties broken by edge index so that the tree does not depend on the sort's stability.
  order.sort((x, y) => weight[x] - weight[y] || x - y);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const tree: LinkageTree = { left: new Int32Array(m), right: new Int32Array(m), distance: new Float64Array(m), size: new Int32Array(m) };
  for (let i = 0; i < m; i++) {
    const e = order[i];
    const rootA = find(edges.a[e]);
    const rootB = find(edges.b[e]);
    if (rootA === rootB) throw new Error('the spanning edges contain a cycle');
    tree.left[i] = rootA;
    tree.right[i] = rootB;
    tree.distance[i] = weight[e];
    tree.size[i] = (rootA < n ? 1 : tree.size[rootA - n]) + (rootB < n ? 1 : tree.size[rootB - n]);
    parent[rootA] = n + i;
    parent[rootB] = n + i;
  }
  return tree;
}

/**
 * Row i: `child` (a point < n, or a cluster id ≥ n) leaves cluster `parent` at `lambda` = 1/distance.
 * Cluster ids start at n (the root); a child cluster always has a larger id than its parent.
 */
interface CondensedTree {
  parent: Int32Array;
  child: Int32Array;
  lambda: Float64Array;
  childSize: Int32Array;
  rows: number;
  n: number;
  clusterCount: number;
}

const lambdaOf = (distance: number) => (distance > 0 ? 1 / distance : Number.MAX_VALUE);

/**
 * Walks the single-linkage tree from the root. A split where both sides have at least
 * minClusterSize points creates two child clusters; a smaller side "falls out" of the
 * current cluster as individual points at that lambda.
 */
function condenseTree(tree: LinkageTree, n: number, minClusterSize: number): CondensedTree {
  const capacity = 2 * n;
  const out: CondensedTree = {
    parent: new Int32Array(capacity),
    child: new Int32Array(capacity),
    lambda: new Float64Array(capacity),
    childSize: new Int32Array(capacity),
    rows: 0,
    n,
    clusterCount: 1,
  };
  const push = (parent: number, child: number, lambda: number, childSize: number) => {
    const row = out.rows++;
    out.parent[row] = parent;
    out.child[row] = child;
    out.lambda[row] = lambda;
    out.childSize[row] = childSize;
  };
  const sizeOf = (node: number) => (node < n ? 1 : tree.size[node - n]);
  const pointStack = new Int32Array(n);
  const fallOut = (node: number, cluster: number, lambda: number) => {
    let top = 0;
    pointStack[top++] = node;
    while (top > 0) {
      const current = pointStack[--top];
      if (current < n) push(cluster, current, lambda, 1);
      else {
        pointStack[top++] = tree.left[current - n];
        pointStack[top++] = tree.right[current - n];
      }
    }
  };

  // Pairs (linkage node, condensed cluster); only internal nodes are pushed, since a side with a
  // single point is never "big" (minClusterSize ≥ 2).
  const nodeStack = new Int32Array(2 * n);
  const clusterStack = new Int32Array(2 * n);
  let top = 0;
  nodeStack[top] = 2 * n - 2;
  clusterStack[top++] = n;
  while (top > 0) {
    top--;
    const node = nodeStack[top];
    const cluster = clusterStack[top];
    const index = node - n;
    const lambda = lambdaOf(tree.distance[index]);
    const left = tree.left[index];
    const right = tree.right[index];
    const leftBig = sizeOf(left) >= minClusterSize;
    const rightBig = sizeOf(right) >= minClusterSize;
    if (leftBig && rightBig) {
      for (const side of [left, right]) {
        const childCluster = n + out.clusterCount++;
        push(cluster, childCluster, lambda, sizeOf(side));
        nodeStack[top] = side;
        clusterStack[top++] = childCluster;
      }
    } else {
      if (leftBig) {
        nodeStack[top] = left;
        clusterStack[top++] = cluster;
      } else fallOut(left, cluster, lambda);
      if (rightBig) {
        nodeStack[top] = right;
        clusterStack[top++] = cluster;
      } else fallOut(right, cluster, lambda);
    }
  }
  return out;
}

/** Excess-of-mass selection: 1 per selected cluster (index = cluster id − n). The root is never selected. */
function selectClustersByExcessOfMass(tree: CondensedTree): Uint8Array {
  const { n, clusterCount, rows } = tree;
  const birth = new Float64Array(clusterCount);
  const parentOf = new Int32Array(clusterCount).fill(-1);
  const hasChildren = new Uint8Array(clusterCount);
  for (let row = 0; row < rows; row++) {
    const child = tree.child[row];
    if (child >= n) {
      birth[child - n] = tree.lambda[row];
      parentOf[child - n] = tree.parent[row] - n;
      hasChildren[tree.parent[row] - n] = 1;
    }
  }
  const stability = new Float64Array(clusterCount);
  for (let row = 0; row < rows; row++) {
    const parent = tree.parent[row] - n;
    stability[parent] += (tree.lambda[row] - birth[parent]) * tree.childSize[row];
  }
  // Children have larger ids than their parent, so descending ids visit every child first.
  const childSum = new Float64Array(clusterCount);
  const chosen = new Uint8Array(clusterCount);
  for (let c = clusterCount - 1; c > 0; c--) {
    if (!hasChildren[c] || stability[c] >= childSum[c]) {
      chosen[c] = 1;
      childSum[parentOf[c]] += stability[c];
    } else childSum[parentOf[c]] += childSum[c];
  }
  // A chosen cluster under a chosen ancestor is dropped: ascending ids see ancestors first.
  const covered = new Uint8Array(clusterCount);
  const selected = new Uint8Array(clusterCount);
  for (let c = 1; c < clusterCount; c++) {
    const parent = parentOf[c];
    covered[c] = parent > 0 && (covered[parent] || selected[parent]) ? 1 : 0;
    selected[c] = chosen[c] && !covered[c] ? 1 : 0;
  }
  return selected;
}

function labelPoints(tree: CondensedTree, selected: Uint8Array, n: number): HdbscanResult {
  const { clusterCount, rows } = tree;
  const parentOf = new Int32Array(clusterCount).fill(-1);
  for (let row = 0; row < rows; row++) if (tree.child[row] >= n) parentOf[tree.child[row] - n] = tree.parent[row] - n;
  // The selected cluster above each condensed cluster, or -1: ascending ids see ancestors first.
  const owner = new Int32Array(clusterCount).fill(-1);
  for (let c = 1; c < clusterCount; c++) owner[c] = selected[c] ? c : owner[parentOf[c]];

  const pointCluster = new Int32Array(n).fill(-1);
  const pointLambda = new Float64Array(n);
  for (let row = 0; row < rows; row++) {
    const child = tree.child[row];
    if (child < n) {
      pointCluster[child] = owner[tree.parent[row] - n];
      pointLambda[child] = tree.lambda[row];
    }
  }
  return finishLabels(pointCluster, pointLambda, clusterCount);
}

/** The root as the one cluster, of the points that joined it within maxDistance (see TreeOptions). */
function labelSingleCluster(tree: CondensedTree, n: number, minClusterSize: number, maxDistance: number): HdbscanResult {
  const minLambda = lambdaOf(maxDistance);
  const pointCluster = new Int32Array(n).fill(-1);
  const pointLambda = new Float64Array(n);
  let members = 0;
  for (let row = 0; row < tree.rows; row++) {
    const child = tree.child[row];
    if (child < n && tree.lambda[row] >= minLambda) {
      pointCluster[child] = 0;
      pointLambda[child] = tree.lambda[row];
      members++;
    }
  }
  if (members < minClusterSize) return allNoise(n);
  return finishLabels(pointCluster, pointLambda, 1);
}

/** Stable label numbering (clusters in order of their first point) and strengths relative to each cluster's densest point. */
function finishLabels(pointCluster: Int32Array, pointLambda: Float64Array, clusterCount: number): HdbscanResult {
  const n = pointCluster.length;
  const maxLambda = new Float64Array(clusterCount);
  for (let p = 0; p < n; p++) {
    const c = pointCluster[p];
    if (c >= 0 && pointLambda[p] > maxLambda[c]) maxLambda[c] = pointLambda[p];
  }
  const labelOf = new Int32Array(clusterCount).fill(-1);
  let labelCount = 0;
  const labels = new Int32Array(n).fill(-1);
  const probabilities = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const c = pointCluster[p];
    if (c < 0) continue;
    if (labelOf[c] < 0) labelOf[c] = labelCount++;
    labels[p] = labelOf[c];
    const top = maxLambda[c];
    probabilities[p] = top > 0 ? Math.min(pointLambda[p], top) / top : 1;
  }
  return { labels, probabilities, clusterCount: labelCount };
}
