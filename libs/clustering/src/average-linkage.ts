/**
 * Average-linkage agglomerative clustering of unit vectors, stopped at a similarity threshold,
 * with "cannot-link" groups (two faces of one photo are two people), in O(n + edges) memory.
 *
 * Why it scales: with dot-product similarity the average over all |A|·|B| pairs of two clusters
 * is the dot product of their sums divided by |A|·|B| (Σa·Σb = ΣΣ a·b), so a cluster is its
 * sum vector and no pair matrix is needed. Two clusters can only average ≥ t if some pair of
 * their points is ≥ t, so the candidate merges are the clusters joined by an edge of the graph
 * of point pairs at similarity ≥ t (exact when the graph holds every such pair, as the caller
 * builds it up to a few thousand points; a k-nearest-neighbour graph above).
 *
 * Merging: the nearest-neighbour chain (Murtagh 1983): follow each cluster's best candidate by
 * average similarity until two clusters pick each other, and merge them. Average linkage is
 * reducible, so merging reciprocal nearest neighbours in any order gives the same clusters as
 * merging the single best pair at a time (the textbook algorithm) would; and each step is one
 * look over one cluster's candidates. A merge that would put two points of one group (photo)
 * together is not a candidate.
 *
 * Written here because the JavaScript clustering packages (hdbscan-ts, ml-hclust) hold an n×n
 * distance matrix and know no cannot-link constraints.
 */
import { findRoot } from './union-find';

export interface LinkageInput {
  /** n unit vectors of `dimension` floats, back to back. */
  points: Float32Array;
  dimension: number;
  /** Group (photo) of each point: points of one group never share a cluster. */
  group: Int32Array;
  /** Candidate edges (a[i], b[i]), both directions not needed; pairs below the threshold are ignored. */
  edgeA: Int32Array;
  edgeB: Int32Array;
}

export interface LinkageResult {
  /** Cluster of every point, numbered by first point; -1 for points left alone. */
  labels: Int32Array;
  clusterCount: number;
  /** Merges made. */
  merges: number;
  /** Nearest-neighbour-chain steps taken (one look over a cluster's candidates each). */
  steps: number;
}

/** Clusters whose members average at least `threshold` cosine similarity to each other merge; singletons get label -1. */
export function averageLinkage(input: LinkageInput, threshold: number): LinkageResult {
  const { points, dimension, group } = input;
  const n = group.length;
  const clusters = new ClusterSet(points, dimension, group);
  const adjacency = buildAdjacency(n, input.edgeA, input.edgeB, (a, b) => dot(points, a, points, b, dimension) >= threshold);

  // Nearest-neighbour chain: follow each cluster's most alike candidate until two clusters are
  // each other's, merge those, go on from the rest of the chain. Every step is one look over a
  // cluster's candidates, and no other cluster's choice has to be kept up to date.
  const finished = new Uint8Array(n);
  const active: number[] = [];
  for (let c = n - 1; c >= 0; c--) if (adjacency.degree(c) > 0) active.push(c);
  const chain: number[] = [];
  let merges = 0;
  let steps = 0;
  while (active.length > 0 || chain.length > 0) {
    if (chain.length === 0) {
      const start = active.pop()!;
      if (clusters.find(start) === start && !finished[start]) chain.push(start);
      continue;
    }
    steps++;
    const c = chain[chain.length - 1];
    const previous = chain.length >= 2 ? chain[chain.length - 2] : -1;
    const next = bestCandidate(c, clusters, adjacency, threshold, previous);
    if (next < 0) {
      // Nothing reaches the threshold now, and merges elsewhere only lower its averages.
      finished[c] = 1;
      chain.pop();
    } else if (next === previous) {
      chain.length -= 2;
      const root = clusters.union(c, previous);
      adjacency.absorb(root, root === c ? previous : c);
      active.push(root);
      merges++;
    } else {
      chain.push(next);
    }
  }
  return { ...clusters.labels(), merges, steps };
}

/**
 * The adjacent cluster with the highest average similarity ≥ threshold and no shared group, or
 * -1. Ties go to `preferred` (the chain's previous cluster, so a chain never cycles), then to
 * the lowest id.
 */
function bestCandidate(c: number, clusters: ClusterSet, adjacency: Adjacency, threshold: number, preferred: number): number {
  let best = -1;
  let bestScore = threshold;
  for (const neighbour of adjacency.compact(c, clusters)) {
    const score = clusters.averageSimilarity(c, neighbour);
    const wins = score > bestScore || (score === bestScore && (best < 0 || (neighbour === preferred ? true : best !== preferred && neighbour < best)));
    if (wins && !clusters.shareGroup(c, neighbour)) {
      best = neighbour;
      bestScore = score;
    }
  }
  return best;
}

/** Row offsetA of `a` · row offsetB of `b`; four partial sums, which V8 schedules better than one chain. */
function dot(a: Float32Array, offsetA: number, b: Float32Array, offsetB: number, dimension: number): number {
  const i0 = offsetA * dimension;
  const j0 = offsetB * dimension;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dimension; i += 4) {
    s0 += a[i0 + i] * b[j0 + i];
    s1 += a[i0 + i + 1] * b[j0 + i + 1];
    s2 += a[i0 + i + 2] * b[j0 + i + 2];
    s3 += a[i0 + i + 3] * b[j0 + i + 3];
  }
  for (; i < dimension; i++) s0 += a[i0 + i] * b[j0 + i];
  return s0 + s1 + s2 + s3;
}

/**
 * Union-find over the points; a root stands for its cluster: size, the sum of its vectors
 * (stored only once it has two members: singletons read their own point) and its sorted groups.
 */
class ClusterSet {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  private readonly sumSlot: Int32Array;
  private sums: Float32Array;
  private freeSlots: number[] = [];
  private slotCount = 0;
  private readonly groups = new Map<number, Int32Array>();

  constructor(
    private readonly points: Float32Array,
    private readonly dimension: number,
    private readonly group: Int32Array,
  ) {
    const n = group.length;
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.size = new Int32Array(n).fill(1);
    this.sumSlot = new Int32Array(n).fill(-1);
    this.sums = new Float32Array(Math.min(n, 1024) * dimension);
  }

  find(x: number): number {
    return findRoot(this.parent, x);
  }

  averageSimilarity(a: number, b: number): number {
    const [vectorA, offsetA] = this.sumOf(a);
    const [vectorB, offsetB] = this.sumOf(b);
    return dot(vectorA, offsetA, vectorB, offsetB, this.dimension) / (this.size[a] * this.size[b]);
  }

  shareGroup(a: number, b: number): boolean {
    const groupsA = this.groupsOf(a);
    const groupsB = this.groupsOf(b);
    const [small, large] = groupsA.length <= groupsB.length ? [groupsA, groupsB] : [groupsB, groupsA];
    for (const value of small) if (binarySearch(large, value)) return true;
    return false;
  }

  /** Merges two roots; returns the surviving root. */
  union(a: number, b: number): number {
    const [root, other] = this.size[a] >= this.size[b] ? [a, b] : [b, a];
    const slot = this.ensureSlot(root);
    const [vector, offset] = this.sumOf(other);
    const target = slot * this.dimension;
    const source = offset * this.dimension;
    for (let i = 0; i < this.dimension; i++) this.sums[target + i] += vector[source + i];
    if (this.sumSlot[other] >= 0) {
      this.freeSlots.push(this.sumSlot[other]);
      this.sumSlot[other] = -1;
    }
    this.groups.set(root, mergeSorted(this.groupsOf(root), this.groupsOf(other)));
    this.groups.delete(other);
    this.parent[other] = root;
    this.size[root] += this.size[other];
    return root;
  }

  labels(): { labels: Int32Array; clusterCount: number } {
    const n = this.parent.length;
    const labels = new Int32Array(n).fill(-1);
    const labelOfRoot = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const root = this.find(i);
      if (this.size[root] < 2) continue;
      let label = labelOfRoot.get(root);
      if (label === undefined) labelOfRoot.set(root, (label = labelOfRoot.size));
      labels[i] = label;
    }
    return { labels, clusterCount: labelOfRoot.size };
  }

  private sumOf(root: number): [Float32Array, number] {
    const slot = this.sumSlot[root];
    return slot >= 0 ? [this.sums, slot] : [this.points, root];
  }

  private groupsOf(root: number): Int32Array {
    return this.groups.get(root) ?? Int32Array.of(this.group[root]);
  }

  private ensureSlot(root: number): number {
    if (this.sumSlot[root] >= 0) return this.sumSlot[root];
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slotCount++;
      if ((slot + 1) * this.dimension > this.sums.length) {
        const grown = new Float32Array(Math.max(this.sums.length * 2, (slot + 1) * this.dimension));
        grown.set(this.sums);
        this.sums = grown;
      }
    }
    this.sums.set(this.points.subarray(root * this.dimension, (root + 1) * this.dimension), slot * this.dimension);
    this.sumSlot[root] = slot;
    return slot;
  }
}

function binarySearch(sorted: Int32Array, value: number): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] === value) return true;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

function mergeSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length || j < b.length) {
    const value = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (k === 0 || out[k - 1] !== value) out[k++] = value;
  }
  return out.subarray(0, k);
}

/**
 * Cluster adjacency as per-root lists of point or cluster ids; entries go stale as clusters
 * merge and are mapped to their roots (and deduplicated) when a list is read.
 */
class Adjacency {
  constructor(private readonly lists: (number[] | undefined)[]) {}

  degree(node: number): number {
    return this.lists[node]?.length ?? 0;
  }

  /** The root's neighbour clusters, stale entries resolved and itself left out (rewrites its list). */
  compact(root: number, clusters: ClusterSet): number[] {
    const list = this.lists[root];
    if (!list) return [];
    const seen = new Set<number>();
    for (const entry of list) {
      const neighbour = clusters.find(entry);
      if (neighbour !== root) seen.add(neighbour);
    }
    const compacted = [...seen];
    this.lists[root] = compacted;
    return compacted;
  }

  absorb(root: number, other: number): void {
    const otherList = this.lists[other];
    if (!otherList) return;
    const list = this.lists[root];
    if (list) for (const entry of otherList) list.push(entry);
    else this.lists[root] = otherList;
    this.lists[other] = undefined;
  }
}

function buildAdjacency(n: number, edgeA: Int32Array, edgeB: Int32Array, keep: (a: number, b: number) => boolean): Adjacency {
  const lists: (number[] | undefined)[] = new Array(n);
  const add = (from: number, to: number) => {
    const list = lists[from];
    if (list) list.push(to);
    else lists[from] = [to];
  };
  for (let i = 0; i < edgeA.length; i++) {
    const a = edgeA[i];
    const b = edgeB[i];
    if (a === b || a < 0 || b < 0 || !keep(a, b)) continue;
    add(a, b);
    add(b, a);
  }
  return new Adjacency(lists);
}
