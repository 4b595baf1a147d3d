import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

/** Storage for photo originals, addressed by the SHA-256 of their bytes. */
export interface BlobStore {
  /** Moves a finished temporary file into the store; returns its SHA-256 and size. */
  putFile(tempPath: string): Promise<{ sha256: string; byteSize: number }>;
  read(sha256: string): Readable;
  readBuffer(sha256: string): Promise<Buffer>;
  exists(sha256: string): Promise<boolean>;
  /** Removes the bytes; no error if they are already gone. */
  delete(sha256: string): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Removes the files directly in `dir` last modified before `modifiedBefore` (ms since epoch):
 * temporary uploads that a killed process left half-written. A file still being written is
 * newer: its upload keeps touching it. Returns how many files and bytes went.
 */
export async function removeFilesModifiedBefore(dir: string, modifiedBefore: number): Promise<{ files: number; bytes: number }> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  let files = 0;
  let bytes = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const info = await stat(path).catch(() => undefined); // gone meanwhile: nothing to do
    if (!info || info.mtimeMs >= modifiedBefore) continue;
    await rm(path, { force: true });
    files++;
    bytes += info.size;
  }
  return { files, bytes };
}

/**
 * Local-disk blob store: `<root>/ab/cd/abcd…`. Identical bytes land on one path, so a
 * duplicate upload costs no extra space; writes are a rename, so readers never see half a file.
 */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async putFile(tempPath: string): Promise<{ sha256: string; byteSize: number }> {
    const sha256 = await sha256OfFile(tempPath);
    const { size } = await stat(tempPath);
    const target = this.pathOf(sha256);
    await mkdir(dirname(target), { recursive: true });
    if (await this.exists(sha256)) await rm(tempPath, { force: true });
    else await rename(tempPath, target);
    return { sha256, byteSize: size };
  }

  read(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256));
  }

  readBuffer(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`invalid blob key: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}
