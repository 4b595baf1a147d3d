/** `SHA256SUMS` files in the format of `sha256sum`, so `sha256sum -c SHA256SUMS` can check them. */
import { readFile, writeFile } from 'node:fs/promises';

export interface ChecksumEntry {
  file: string;
  sha256: string;
}

export function formatChecksums(entries: readonly ChecksumEntry[]): string {
  return entries.map((entry) => `${entry.sha256}  ${entry.file}\n`).join('');
}

export function parseChecksums(text: string): ChecksumEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (!match) throw new Error(`malformed SHA256SUMS line: ${line}`);
      return { sha256: match[1]!, file: match[2]! };
    });
}

/**
 * Writes `entries` into the SHA256SUMS file at `path`, keeping the lines of files it does not
 * name (models/ holds converted models and generated ones, each written by its own tool).
 */
export async function updateChecksumsFile(path: string, entries: readonly ChecksumEntry[]): Promise<void> {
  const existing = await readFile(path, 'utf8').then(parseChecksums, (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const updated = new Map(entries.map((entry) => [entry.file, entry]));
  const merged = existing.map((entry) => updated.get(entry.file) ?? entry);
  for (const entry of entries) if (!existing.some((old) => old.file === entry.file)) merged.push(entry);
  await writeFile(path, formatChecksums(merged));
}
