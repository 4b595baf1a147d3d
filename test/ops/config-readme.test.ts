import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema } from '@facecloud/config';
import { repoRoot } from '../support/paths';

test("the README's configuration table names every setting of the config schema, and no other", () => {
  const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const documented = new Set<string>();
  for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
    const firstCell = line.split('|')[1];
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) documented.add(name);
  }
  const settings = Object.keys(configSchema.shape);
  assert.deepEqual(settings.filter((name) => !documented.has(name)), [], 'settings missing from the README table');
  assert.deepEqual([...documented].filter((name) => !settings.includes(name)), [], 'README rows for settings that do not exist');
});
