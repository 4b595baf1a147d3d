import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema } from '@facecloud/config';
import { repoRoot } from '../../tools/support/paths';

test('the configuration table (docs/configuration.md) names every setting of the config schema, and no other', () => {
  const reference = readFileSync(resolve(repoRoot, 'docs/configuration.md'), 'utf8');
  const documented = new Set<string>();
  for (const line of reference.split('\n').filter((row) => row.startsWith('| `'))) {
    const firstCell = line.split('|')[1];
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) documented.add(name);
  }
  const settings = Object.keys(configSchema.shape);
  assert.deepEqual(settings.filter((name) => !documented.has(name)), [], 'settings missing from the table');
  assert.deepEqual([...documented].filter((name) => !settings.includes(name)), [], 'table rows for settings that do not exist');
});
