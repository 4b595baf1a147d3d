/** `SHA256SUMS` files in the format of `sha256sum`, so `sha256sum -c SHA256SUMS` can check them. */

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
