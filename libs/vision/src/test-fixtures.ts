import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetsDir, fixturesDir, modelsDir } from '../../../tools/support/paths';
import { cpuHasInt8DotProduct } from './cpu-int8';
import { MOBILEFACENET_INT8_MODEL_FILE, MOBILEFACENET_MODEL_FILE } from './embedder';
import { MTCNN_MODEL_FILES } from './mtcnn/detector';

/** The converted ONNX models; FACECLOUD_MODELS overrides the repository's models/ folder. */
export const visionModelsDir = process.env.FACECLOUD_MODELS ?? modelsDir;

const requiredModels = [...Object.values(MTCNN_MODEL_FILES), MOBILEFACENET_MODEL_FILE, MOBILEFACENET_INT8_MODEL_FILE];

/** `false` when all five models are present, otherwise a skip reason for `node:test`. */
export const skipWithoutModels: string | false = requiredModels.every((file) => existsSync(join(visionModelsDir, file)))
  ? false
  : `ONNX models not found in ${visionModelsDir} (npm run models:convert, or set FACECLOUD_MODELS)`;

export const photoFixturesDir = join(fixturesDir, 'photos');

export function readPhotoFixture(name: string): Buffer {
  return readFileSync(join(photoFixturesDir, name));
}

export const devDatasetDir = join(datasetsDir, 'dev');

/** The two deliberately hard groups of people/ photos (see the datasets README). */
export type HardCase = 'tv-crop' | 'face-chip';

export interface ManifestEntry {
  path: string;
  kind: 'people' | 'groups' | 'noface' | 'blurry';
  identity: string;
  hardCase?: HardCase;
}

export function readDevManifest(): ManifestEntry[] {
  const lines = readFileSync(join(devDatasetDir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [path, kind, identity, , , licenseNote = ''] = line.split('\t');
    const hardCase: HardCase | undefined = /150x150 grayscale face crop/.test(licenseNote)
      ? 'tv-crop'
      : /150x150 aligned face chip/.test(licenseNote)
        ? 'face-chip'
        : undefined;
    return { path, kind: kind as ManifestEntry['kind'], identity, ...(hardCase ? { hardCase } : {}) };
  });
}

export const TEST_DECODE_OPTIONS = { maxSide: 1024, maxInputPixels: 100_000_000 };

/**
 * Skip reason for the int8 embedder's agreement tests: models missing, or a CPU without int8
 * dot products, where EMBEDDING_PRECISION=auto never picks int8 (see cpu-int8.ts).
 */
export const skipWithoutInt8: string | false =
  skipWithoutModels || (cpuHasInt8DotProduct() ? false : 'this CPU has no int8 dot products (AVX-512 VNNI, AVX-VNNI, arm64 dotprod): int8 is not used here');
