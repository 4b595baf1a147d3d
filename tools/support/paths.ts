import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findRepoRoot } from '@facecloud/config';

/** Repository root, whether running from sources or from the compiled `dist/` tree. */
export const repoRoot = findRepoRoot();

/**
 * Labelled photo sets used by integration tests and evaluation. They are not part of the
 * repository; point FACECLOUD_DATASETS at a folder laid out as `dev/people/<id>/*.jpg`, ...
 * Defaults to a `shared/datasets` folder beside the checkout.
 */
export const datasetsDir = resolve(process.env.FACECLOUD_DATASETS ?? resolve(repoRoot, '../shared/datasets'));

/** `false` when the datasets are present, otherwise a skip reason for `node:test`. */
export const skipWithoutDatasets: string | false = existsSync(resolve(datasetsDir, 'dev'))
  ? false
  : `datasets folder not found at ${datasetsDir} (set FACECLOUD_DATASETS)`;

export const fixturesDir = resolve(repoRoot, 'test/fixtures');
export const modelsDir = resolve(repoRoot, 'models');
