import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository (or deployed app) root: the nearest folder above `start` with a
 * package.json. Works from the sources and from the compiled `dist/` tree alike, whatever
 * the working directory, so shipped files (migrations, models) are found next to it.
 */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
