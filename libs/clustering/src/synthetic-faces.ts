/**
 * Synthetic face embeddings with the distance structure of real ones, for benchmarks and
 * tests at sizes no labelled dataset has: many identities of very different size (a few
 * people with thousands of faces, a long tail of strangers seen once or twice), each face its
 * identity's direction plus noise. Calibrated to the dev set's MobileFaceNet embeddings: same
 * person mean cosine ≈ 0.77 (varying by person: some are photographed more alike than others),
 * different people ≈ 0 with the spread of random directions in 192 dimensions (σ ≈ 0.07).
 */
import { seededRandom } from './knn/cell-index';

export interface SyntheticFacesOptions {
  faces: number;
  dimension?: number;
  seed?: number;
  /** Mean cosine between two faces of one person (default 0.77). */
  sameCosine?: number;
  /** Pareto tail index of identity sizes (default 1.1: heavy tail). */
  sizeTail?: number;
  /** Largest identity, as a fraction of all faces (default 0.05). */
  largestShare?: number;
}

export interface SyntheticFaces {
  /** n unit vectors, back to back. */
  embeddings: Float32Array;
  dimension: number;
  /** Identity of each face (0..identities-1). */
  identity: Int32Array;
  identities: number;
}

export function syntheticFaces(options: SyntheticFacesOptions): SyntheticFaces {
  const n = options.faces;
  const dimension = options.dimension ?? 192;
  const random = seededRandom(options.seed ?? 42);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const tail = options.sizeTail ?? 1.1;
  const largest = Math.max(1, Math.floor(n * (options.largestShare ?? 0.05)));
  // cos(x, y) ≈ 1 / (1 + ρ²) for two noisy copies of one direction with noise of norm ρ.
  const baseNoise = 1 / (options.sameCosine ?? 0.77) - 1;

  const sizes: number[] = [];
  let total = 0;
  while (total < n) {
    const size = Math.min(largest, n - total, Math.floor(Math.pow(1 - random(), -1 / tail)));
    sizes.push(size);
    total += size;
  }
  // Shuffle faces so that identities are interleaved, as uploads are.
  const identity = new Int32Array(n);
  let face = 0;
  sizes.forEach((size, id) => identity.fill(id, face, (face += size)));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = identity[i];
    identity[i] = identity[j];
    identity[j] = t;
  }

  const centres = new Float32Array(sizes.length * dimension);
  const noiseOf = new Float64Array(sizes.length);
  for (let id = 0; id < sizes.length; id++) {
    writeUnit(centres.subarray(id * dimension, (id + 1) * dimension), () => gaussian());
    noiseOf[id] = baseNoise * Math.exp(0.35 * gaussian());
  }
  const embeddings = new Float32Array(n * dimension);
  for (let i = 0; i < n; i++) {
    const id = identity[i];
    // One face in twenty is a hard one (profile, occlusion): further from the person's centre.
    const noise = noiseOf[id] * (random() < 0.05 ? 2.5 : 1);
    const scale = Math.sqrt(noise / dimension);
    const centre = centres.subarray(id * dimension, (id + 1) * dimension);
    writeUnit(embeddings.subarray(i * dimension, (i + 1) * dimension), (j) => centre[j] + scale * gaussian());
  }
  return { embeddings, dimension, identity, identities: sizes.length };
}

function writeUnit(target: Float32Array, value: (j: number) => number): void {
  let norm = 0;
  for (let j = 0; j < target.length; j++) {
    target[j] = value(j);
    norm += target[j] * target[j];
  }
  norm = Math.sqrt(norm);
  for (let j = 0; j < target.length; j++) target[j] /= norm;
}
