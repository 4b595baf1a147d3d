import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../../tools/support/paths';

/** The documents a reader follows links between: the README, docs/ and the READMEs of the parts. */
function markdownFiles(): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', '.cache', 'data', 'bench-results', 'test-artifacts']);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk(repoRoot);
  return found;
}

/** Text outside fenced code blocks, where a `](` is code, not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

test('every relative link in the documentation reaches a file, and its #anchor a heading there', () => {
  const files = markdownFiles();
  assert.ok(files.some((file) => file.endsWith('docs/api.md')), 'docs/ holds the reference');
  const broken: string[] = [];
  for (const file of files) {
    for (const [, target] of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
      const [path, anchor] = target.split('#');
      const targetFile = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(repoRoot, file)} → ${target}`;
      if (!existsSync(targetFile)) broken.push(`${where}: no such file`);
      else if (anchor !== undefined && !headingAnchors(readFileSync(targetFile, 'utf8')).has(anchor)) {
        broken.push(`${where}: no such heading`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test("the README's layout table names every part under apps/, libs/, tools/ and test/", () => {
  const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
  const listed = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map(([, path]) => path.replace(/\/$/, '')));
  const parts = ['apps', 'libs', 'tools', 'test'].flatMap((top) =>
    readdirSync(resolve(repoRoot, top))
      .filter((name) => statSync(resolve(repoRoot, top, name)).isDirectory())
      .map((name) => `${top}/${name}`),
  );
  assert.deepEqual(parts.filter((part) => !listed.has(part)), [], 'folders missing from the README layout table');
  assert.deepEqual([...listed].filter((path) => !existsSync(resolve(repoRoot, path))), [], 'layout rows for paths that do not exist');
});
