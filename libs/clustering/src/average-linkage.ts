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
 * Looking over a big cluster's candidates again after every merge it makes is what grows
 * faster than n (a person with thousands of faces absorbs its last pieces one by one, each
 * time with thousands of candidates), so clusters of BOOKED_MIN_SIZE or more keep the sum
 * products of their last look (CandidateBook) and recompute only the candidates that can
 * still win: a merge moves S_c·S_x by at most ‖S_b‖·‖S_x‖ (b the cluster absorbed), so a
 * kept product gives a lower and an upper bound on today's score, and only candidates whose
 * upper bound reaches the best lower bound are computed again, in full. The scores compared
 * are always the full products, so the clusters are exactly those of looking at every
 * candidate every time.
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
  /** Average similarities computed in full (one sum-vector dot product each). */
  scoreComputations: number;
}

/** Clusters from this size keep their candidates' sum products between looks (CandidateBook). */
export const BOOKED_MIN_SIZE = 4;

/** Clusters whose members average at least `threshold` cosine similarity to each other merge; singletons get label -1. */
export function averageLinkage(input: LinkageInput, threshold: number, options: { bookedMinSize?: number } = {}): LinkageResult {
  const { points, dimension, group } = input;
  const n = group.length;
  const clusters = new ClusterSet(points, dimension, group);
  const adjacency = buildAdjacency(n, input.edgeA, input.edgeB, (a, b) => dot(points, a, points, b, dimension) >= threshold);
  const search = new CandidateSearch(clusters, adjacency, threshold, options.bookedMinSize ?? BOOKED_MIN_SIZE);

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
    const next = search.best(c, previous);
    if (next < 0) {
      // Nothing reaches the threshold now, and merges elsewhere only lower its averages.
      finished[c] = 1;
      chain.pop();
    } else if (next === previous) {
      chain.length -= 2;
      const root = clusters.union(c, previous);
      const other = root === c ? previous : c;
      adjacency.absorb(root, other);
      search.forget(other);
      active.push(root);
      merges++;
    } else {
      chain.push(next);
    }
  }
  return { ...clusters.labels(), merges, steps, scoreComputations: search.scoreComputations };
}

/**
 * The adjacent cluster with the highest average similarity ≥ threshold and no shared group, or
 * -1. Ties go to `preferred` (the chain's previous cluster, so a chain never cycles), then to
 * the lowest id: the maximum of (score, is preferred, −id), whatever the order of the look.
 */
class CandidateSearch {
  scoreComputations = 0;
  private readonly books: (CandidateBook | undefined)[];
  /** Scratch: position in the book being read of each candidate id (valid where `positionStamp` is current). */
  private readonly position: Int32Array;
  private readonly positionStamp: Int32Array;
  private stamp = 0;

  constructor(
    private readonly clusters: ClusterSet,
    private readonly adjacency: Adjacency,
    private readonly threshold: number,
    private readonly bookedMinSize: number,
  ) {
    this.books = new Array(clusters.count);
    this.position = new Int32Array(clusters.count);
    this.positionStamp = new Int32Array(clusters.count);
  }

  best(c: number, preferred: number): number {
    const neighbours = this.adjacency.compact(c, this.clusters);
    if (this.clusters.sizeOf(c) >= this.bookedMinSize) return this.bestFromBook(c, neighbours, preferred);
    let best = -1;
    let bestScore = this.threshold;
    for (const neighbour of neighbours) {
      const score = this.clusters.averageSimilarity(c, neighbour);
      if (wins(score, neighbour, bestScore, best, preferred) && !this.clusters.shareGroup(c, neighbour)) {
        best = neighbour;
        bestScore = score;
      }
    }
    this.scoreComputations += neighbours.length;
    return best;
  }

  /** The cluster is gone (merged into another): its kept products are of a sum that no longer exists. */
  forget(cluster: number): void {
    this.books[cluster] = undefined;
  }

  /**
   * As `best`, for a big cluster: a candidate of its last look that has not changed since (same
   * size) takes its kept product, widened by how far c's sum may have moved since (ClusterSet
   * budget); new or changed candidates are computed.
   */
  private bestFromBook(c: number, neighbours: number[], preferred: number): number {
    const { clusters, threshold } = this;
    const old = this.books[c];
    const book = new CandidateBook(neighbours.length, clusters.budgetOf(c));
    const size = clusters.sizeOf(c);
    const growth = old ? (book.budget - old.budget) * (1 + 1e-9) : 0;
    const stamp = ++this.stamp;
    if (old) {
      for (let j = 0; j < old.ids.length; j++) {
        this.position[old.ids[j]] = j;
        this.positionStamp[old.ids[j]] = stamp;
      }
    }
    let floor = threshold;
    for (let i = 0; i < neighbours.length; i++) {
      const x = neighbours[i];
      const sizeX = clusters.sizeOf(x);
      book.sizes[i] = sizeX;
      // A candidate of the same size is the same cluster: a cluster id only grows.
      const j = old && this.positionStamp[x] === stamp ? this.position[x] : -1;
      if (j >= 0 && old!.sizes[j] === BLOCKED) {
        book.sizes[i] = BLOCKED;
        continue;
      }
      if (j >= 0 && old!.sizes[j] === sizeX) {
        book.products[i] = old!.products[j];
        // ‖S_c' − S_c‖ ≤ Σ ‖S_b‖ plus the float32 rounding of each addition (in `budget`), and a
        // dot product's own rounding, far below 1e-12 of ‖S_c‖·‖S_x‖.
        const normX = clusters.normOf(x);
        book.radii[i] = growth > 0 ? old!.radii[j] + growth * normX + 1e-12 * size * normX : old!.radii[j];
      } else {
        book.products[i] = this.product(c, x);
        book.radii[i] = 0;
      }
      const low = (book.products[i] - book.radii[i]) / (size * sizeX);
      if (low > floor) floor = low;
    }
    book.ids = Int32Array.from(neighbours);
    this.books[c] = book;
    // Exact scores for every candidate that may reach the best lower bound. When the best found
    // is below that bound, the candidate that set it shares a group with c: look again with
    // exact scores for every candidate that may reach the threshold.
    for (;;) {
      let best = -1;
      let bestScore = threshold;
      for (let i = 0; i < neighbours.length; i++) {
        const sizeX = book.sizes[i];
        if (sizeX === BLOCKED) continue;
        const denominator = size * sizeX;
        if (book.radii[i] > 0) {
          if ((book.products[i] + book.radii[i]) / denominator < floor) continue;
          book.products[i] = this.product(c, neighbours[i]);
          book.radii[i] = 0;
        }
        const score = book.products[i] / denominator;
        if (wins(score, neighbours[i], bestScore, best, preferred)) {
          if (clusters.shareGroup(c, neighbours[i])) book.sizes[i] = BLOCKED;
          else {
            best = neighbours[i];
            bestScore = score;
          }
        }
      }
      if (floor === threshold || (best >= 0 && bestScore >= floor)) return best;
      floor = threshold;
    }
  }

  private product(c: number, x: number): number {
    this.scoreComputations++;
    return this.clusters.sumProduct(c, x);
  }
}

/** `sizes` entry of a candidate that shares a group with the cluster (for good: groups only grow). */
const BLOCKED = -1;

/**
 * A big cluster's candidates at its last look: each one's id and size then, and S_c·S_x then
 * (products) with how far it may have moved since (radii; 0: exact). `budget` is the cluster's
 * ClusterSet budget then.
 */
class CandidateBook {
  ids = new Int32Array(0);
  readonly sizes: Int32Array;
  readonly products: Float64Array;
  readonly radii: Float64Array;

  constructor(
    count: number,
    readonly budget: number,
  ) {
    this.sizes = new Int32Array(count);
    this.products = new Float64Array(count);
    this.radii = new Float64Array(count);
  }
}

function wins(score: number, neighbour: number, bestScore: number, best: number, preferred: number): boolean {
  return score > bestScore || (score === bestScore && (best < 0 || (neighbour === preferred ? true : best !== preferred && neighbour < best)));
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
  /** ‖sum‖ of each root (singletons: of their point). */
  private readonly norms: Float64Array;
  /**
   * Per root, a bound on how far its sum has moved since it was a singleton, as CandidateSearch
   * needs it: Σ over the clusters it absorbed of ‖their sum‖, plus the float32 rounding of
   * each addition (at most 2⁻²⁴ of each component, ‖·‖ ≤ 1.2e-7 · size).
   */
  private readonly budgets: Float64Array;

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
    this.norms = new Float64Array(n);
    for (let i = 0; i < n; i++) this.norms[i] = Math.sqrt(dot(points, i, points, i, dimension));
    this.budgets = new Float64Array(n);
  }

  get count(): number {
    return this.parent.length;
  }

  sizeOf(root: number): number {
    return this.size[root];
  }

  normOf(root: number): number {
    return this.norms[root];
  }

  budgetOf(root: number): number {
    return this.budgets[root];
  }

  /** S_a · S_b. */
  sumProduct(a: number, b: number): number {
    const [vectorA, offsetA] = this.sumOf(a);
    const [vectorB, offsetB] = this.sumOf(b);
    return dot(vectorA, offsetA, vectorB, offsetB, this.dimension);
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
    this.budgets[root] += this.norms[other] * (1 + 1e-9) + 1.2e-7 * (this.size[root] + this.size[other]);
    this.norms[root] = Math.sqrt(dot(this.sums, slot, this.sums, slot, this.dimension));
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
  private readonly seen: Int32Array;
  private stamp = 0;

  constructor(private readonly lists: (number[] | undefined)[]) {
    this.seen = new Int32Array(lists.length);
  }

  degree(node: number): number {
    return this.lists[node]?.length ?? 0;
  }

  /** The root's neighbour clusters, stale entries resolved and itself left out, in order of first entry (rewrites its list). */
  compact(root: number, clusters: ClusterSet): number[] {
    const list = this.lists[root];
    if (!list) return [];
    const stamp = ++this.stamp;
    const compacted: number[] = [];
    for (const entry of list) {
      const neighbour = clusters.find(entry);
      if (neighbour === root || this.seen[neighbour] === stamp) continue;
      this.seen[neighbour] = stamp;
      compacted.push(neighbour);
    }
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
