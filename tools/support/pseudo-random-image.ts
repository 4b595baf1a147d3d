import { seededRandom } from '@facecloud/clustering';

/**
 * Deterministic image-like model input: integer pixels 0..255 normalised as the models expect,
 * (x − 127.5) / 128, from a small seeded generator (mulberry32). For the converter's tests and
 * the model benchmarks, which need the same inputs run after run.
 */
export function pseudoRandomImage(shape: readonly number[], seed: number): { data: Float32Array; shape: number[] } {
  const next = seededRandom(seed);
  const data = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = (Math.floor(next() * 256) - 127.5) / 128;
  return { data, shape: [...shape] };
}
