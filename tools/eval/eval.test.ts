import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { photoFixturesDir, skipWithoutModels, visionModelsDir } from '../../libs/vision/src/test-fixtures';
import type { EvalReport } from './evaluate';
import { runEvaluation, THRESHOLD_CURVE } from './evaluate';
import { writeReports } from './eval';

/*
 * The evaluation command end to end on a tiny folder built from the committed photo fixtures:
 * two identities, a group photo, the cat, a blurred photo and a "labelled" photo without a face.
 */

const run = promisify(execFile);
let root: string;

/** Dataset path → fixture it is copied from. */
const LAYOUT: Record<string, string> = {
  'people/a/1.jpg': 'person-a-1.jpg',
  'people/a/2.jpg': 'person-a-2.jpg',
  'people/b/1.jpg': 'person-b-1.jpg',
  'people/b/2.jpg': 'person-b-2.jpg',
  'people/b/3.jpg': 'no-face.jpg',
  'groups/five.jpg': 'group-5.jpg',
  'noface/cat.jpg': 'no-face.jpg',
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'facecloud-eval-'));
  const dataset = join(root, 'tiny');
  for (const [path, fixture] of Object.entries(LAYOUT)) {
    await mkdir(dirname(join(dataset, path)), { recursive: true });
    await copyFile(join(photoFixturesDir, fixture), join(dataset, path));
  }
  await mkdir(join(dataset, 'blurry'));
  await sharp(join(photoFixturesDir, 'person-b-1.jpg')).blur(12).jpeg({ quality: 90 }).toFile(join(dataset, 'blurry/b.jpg'));
  await writeFile(join(dataset, 'MANIFEST.tsv'), 'path\tkind\tidentity\nblurry/b.jpg\tblurry\tb\n');
  await mkdir(join(root, 'only-noface/noface'), { recursive: true });
  await copyFile(join(photoFixturesDir, 'no-face.jpg'), join(root, 'only-noface/noface/cat.jpg'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('eval command: summary on stdout, progress on stderr, report.json and a self-contained report.html', { skip: skipWithoutModels }, async () => {
  const out = join(root, 'out');
  const { stdout, stderr } = await run(process.execPath, [join(__dirname, 'eval.js'), join(root, 'tiny'), '--out', out, '--provider', 'cpu', '--sizes', '2'], {
    env: { ...process.env, FACECLOUD_MODELS: visionModelsDir },
  });
  assert.match(stdout, /verification/);
  assert.match(stdout, /flip TTA on .*flip TTA off/s);
  assert.match(stderr, /\[eval\] flip on: 8\/8 photos/);

  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as EvalReport;
  assert.deepEqual(report.dataset.photos, { people: 5, groups: 1, noface: 1, blurry: 1 });
  assert.equal(report.dataset.identities, 2);
  assert.deepEqual(report.detection.people.facesPerPhoto, { '0': 1, '1': 4, '2': 0, '3+': 0 });
  assert.deepEqual(report.detection.labelledPhotosWithoutFace, ['people/b/3.jpg']);
  assert.equal(report.detection.groups.faces, 5);
  assert.equal(report.detection.noface.faces, 0);
  assert.deepEqual(report.detection.labelledKinds.people, { face: 4, blurry: 0, trash: 0 });

  for (const verification of [report.verification.flipOn, report.verification.flipOff]) {
    assert.deepEqual([verification.faces, verification.samePairs, verification.differentPairs], [4, 2, 4]);
    assert.equal(verification.accuracy.accuracy, 1);
    assert.equal(verification.tarAtFar1e3.tar, 1);
  }
  assert.equal(report.filters.blur.positives, 1);
  assert.equal(report.filters.blur.caught, 1);
  assert.equal(report.filters.blur.auc, 1);
  assert.equal(report.filters.trash.auc, null, 'no detections on the cat: nothing to rank');

  // The sub-library of about 2 photos (one whole identity), then the full library.
  assert.deepEqual(report.clustering.libraries.map(({ after }) => after.library), ['2', 'full']);
  const [small, full] = report.clustering.libraries;
  assert.deepEqual([small.after.photos, small.after.identities, small.after.labelledFaces], [2, 1, 2]);
  // The library holds the group photo's faces too: everything kept as a face is clustered.
  assert.equal(full.after.labelledFaces, 4);
  assert.equal(full.after.identities, 2);
  assert.ok(full.after.faces > 4, `${full.after.faces} faces`);
  assert.equal(full.after.algorithm, 'average-linkage');
  assert.equal(full.before.algorithm, 'hdbscan');
  assert.ok(full.after.threshold !== null && full.after.threshold > 0.4 && full.after.threshold < 0.7);
  for (const { after: scores } of report.clustering.libraries) {
    assert.equal(scores.mixedPersons, 0);
    assert.equal(scores.pairwise.precision, 1);
    assert.ok(scores.pairwise.recall >= 0 && scores.pairwise.recall <= 1);
  }
  assert.equal(report.clustering.thresholdCurve.length, THRESHOLD_CURVE.length);
  assert.match(stdout, /average linkage, t 0\.\d+/);

  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Labelled photos without a face[\s\S]*<img src="data:image\/jpeg;base64,[^"]+"[\s\S]*people\/b\/3\.jpg/);
  assert.doesNotMatch(html, /src="(?!data:)/, 'no external pictures');
});

test('eval works on a folder with only some of the parts', { skip: skipWithoutModels }, async () => {
  const { report } = await runEvaluation({
    datasetDir: join(root, 'only-noface'),
    modelsDir: visionModelsDir,
    runtime: { provider: 'cpu' },
    flipAugment: true,
  });
  assert.deepEqual(report.dataset.photos, { people: 0, groups: 0, noface: 1, blurry: 0 });
  assert.equal(report.verification.flipOn.faces, 0);
  assert.equal(report.clustering.libraries[0].after.faces, 0);
  assert.equal(report.clustering.libraries[0].after.persons, 0);
  assert.equal(report.filters.blur.auc, null);
  await writeReports({ report, gallery: [] }, join(root, 'out-noface'));
  const written = JSON.parse(await readFile(join(root, 'out-noface/report.json'), 'utf8')) as EvalReport;
  assert.equal(written.verification.flipOn.auc, null, 'NaN is written as null');
});

test('eval refuses a bad command line', async () => {
  await assert.rejects(run(process.execPath, [join(__dirname, 'eval.js')]), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr ?? '', /usage: eval <dataset-dir>/);
    return true;
  });
});
