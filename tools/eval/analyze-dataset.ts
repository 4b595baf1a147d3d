import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaceAnalyzer, PhotoAnalysis } from '@facecloud/vision';
import type { DatasetPhoto } from './dataset';

/** Photos per analyzeMany call: enough to batch the networks, little memory. */
export const DEFAULT_BATCH = 8;

const PROGRESS_INTERVAL_MS = 2000;

export type Progress = (message: string) => void;

/** Prints to stderr, so progress never mixes with a report written to stdout. */
export const stderrProgress: Progress = (message) => process.stderr.write(`${message}\n`);

export const silentProgress: Progress = () => undefined;

/** Runs the analyzer over the photos in micro-batches; an unreadable photo yields its Error. */
export async function analyzePhotos(
  analyzer: FaceAnalyzer,
  datasetDir: string,
  photos: readonly DatasetPhoto[],
  { batch = DEFAULT_BATCH, progress = silentProgress, label = 'analysed' }: { batch?: number; progress?: Progress; label?: string } = {},
): Promise<(PhotoAnalysis | Error)[]> {
  const results: (PhotoAnalysis | Error)[] = [];
  const started = performance.now();
  let lastReport = started;
  for (let start = 0; start < photos.length; start += batch) {
    const chunk = photos.slice(start, start + batch);
    const bytes = await Promise.all(chunk.map((photo) => readFile(join(datasetDir, photo.path))));
    results.push(...(await analyzer.analyzeMany(bytes)));
    const now = performance.now();
    if (now - lastReport > PROGRESS_INTERVAL_MS || results.length === photos.length) {
      lastReport = now;
      progress(`${label} ${results.length}/${photos.length} photos (${((now - started) / 1000).toFixed(1)} s)`);
    }
  }
  return results;
}
