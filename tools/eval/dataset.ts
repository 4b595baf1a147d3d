import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/**
 * An evaluation folder: people/<identity>/*, groups/*, noface/*, blurry/* (each optional), and
 * optionally MANIFEST.tsv (columns path, kind, identity, ...) naming the people on blurry/ photos.
 */
export type PhotoKind = 'people' | 'groups' | 'noface' | 'blurry';

export interface DatasetPhoto {
  /** Relative to the dataset folder, '/'-separated. */
  path: string;
  kind: PhotoKind;
  /** The labelled person: the folder name under people/, the MANIFEST identity for blurry/. */
  identity?: string;
}

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.heic', '.heif', '.avif']);

/** Every photo of the folder, sorted by path (so runs and splits are reproducible). */
export function scanDataset(datasetDir: string): DatasetPhoto[] {
  if (!existsSync(datasetDir)) throw new Error(`dataset folder ${datasetDir} does not exist`);
  const manifestIdentities = readManifestIdentities(datasetDir);
  const photos: DatasetPhoto[] = [];
  for (const identity of listEntries(join(datasetDir, 'people'), 'directories')) {
    for (const file of listEntries(join(datasetDir, 'people', identity), 'photos')) {
      photos.push({ path: `people/${identity}/${file}`, kind: 'people', identity });
    }
  }
  for (const kind of ['groups', 'noface', 'blurry'] as const) {
    for (const file of listEntries(join(datasetDir, kind), 'photos')) {
      const path = `${kind}/${file}`;
      const identity = kind === 'blurry' ? manifestIdentities.get(path) : undefined;
      photos.push({ path, kind, ...(identity ? { identity } : {}) });
    }
  }
  return photos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function listEntries(dir: string, what: 'directories' | 'photos'): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) =>
      what === 'directories' ? entry.isDirectory() : entry.isFile() && PHOTO_EXTENSIONS.has(extname(entry.name).toLowerCase()),
    )
    .map((entry) => entry.name)
    .sort();
}

function readManifestIdentities(datasetDir: string): Map<string, string> {
  const manifest = join(datasetDir, 'MANIFEST.tsv');
  const identities = new Map<string, string>();
  if (!existsSync(manifest)) return identities;
  const [header, ...lines] = readFileSync(manifest, 'utf8').split('\n');
  const columns = header.split('\t');
  const pathColumn = columns.indexOf('path');
  const identityColumn = columns.indexOf('identity');
  if (pathColumn < 0 || identityColumn < 0) return identities;
  for (const line of lines) {
    const fields = line.split('\t');
    if (fields[identityColumn]) identities.set(fields[pathColumn], fields[identityColumn]);
  }
  return identities;
}
