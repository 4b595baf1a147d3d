/** Helpers the suites share: the photo set, options, small number formatting. */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodePhoto, type RgbImage } from '@facecloud/vision';
import { datasetsDir, modelsDir } from '../support/paths';

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface PhotoFile {
  /** Path relative to the dataset folder, e.g. people/ann/1.jpg. */
  name: string;
  bytes: Buffer;
}

/** The benchmarks' default photos: the dev set (see FACECLOUD_DATASETS). */
export const DEFAULT_DATASET = join(datasetsDir, 'dev');

export function defaultModelsDir(): string {
  return resolve(process.env.FACECLOUD_MODELS ?? modelsDir);
}

/** Paths (relative to `dir`) of every photo under `dir`, sorted. */
export async function listPhotos(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((entry) => PHOTO_EXTENSIONS.has(extname(entry).toLowerCase())).sort();
}

/** Every photo under `dir`, sorted by path, read into memory (so file I/O is not timed). */
export async function readPhotos(dir: string, limit = Infinity): Promise<PhotoFile[]> {
  const paths = await listPhotos(dir);
  if (paths.length === 0) throw new Error(`no photos found in ${dir} (set FACECLOUD_DATASETS or pass --dataset)`);
  const photos: PhotoFile[] = [];
  for (const path of spread(paths, limit)) {
    photos.push({ name: relative(dir, join(dir, path)), bytes: await readFile(join(dir, path)) });
  }
  return photos;
}

/** At most `limit` items spread evenly over the list, so a quick run still sees every kind of photo. */
export function spread<T>(items: readonly T[], limit: number): T[] {
  if (items.length <= limit) return [...items];
  return Array.from({ length: limit }, (_, index) => items[Math.floor((index * items.length) / limit)]);
}

export async function decodeAll(photos: readonly PhotoFile[], maxSide: number): Promise<RgbImage[]> {
  const images: RgbImage[] = [];
  for (const photo of photos) images.push((await decodePhoto(photo.bytes, { maxSide, maxInputPixels: 100_000_000 })).image);
  return images;
}

/** The suite's own options (`--name value` or `--flag`); other suites' options are ignored. */
export function suiteOptions(argv: string[], names: Record<string, 'string' | 'boolean'>): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.entries(names).map(([name, type]) => [name, { type }]));
  return parseArgs({ args: argv, options, strict: false, allowPositionals: true }).values;
}

export function positiveInteger(value: unknown, name: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return number;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** "1.23×" */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}
