/**
 * The import and export commands against PostgreSQL, with the real models processing the
 * photos in the importing process (--process): fixture photos laid out in nested folders,
 * and a sample of the labelled dataset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '@facecloud/storage';
import { datasetsDir, fixturesDir, repoRoot, skipWithoutDatasets } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const run = promisify(execFile);

interface ExportedPerson {
  personId: string;
  name: string | null;
  faceCount: number;
  faces: Array<{ photoName: string; photoPath: string; photoId: string; box: { x: number; y: number; width: number; height: number }; kind: string }>;
}

/** Fixture photos in nested folders, a photo twice, a broken JPEG and a text file. */
const layout: Record<string, string> = {
  'holiday/2019/anna-1.jpg': 'person-a-1.jpg',
  'holiday/2019/anna-2.jpg': 'person-a-2.jpg',
  'holiday/2020/ben-1.jpg': 'person-b-1.jpg',
  'home/ben-2.jpg': 'person-b-2.jpg',
  'home/party/group.JPG': 'group-5.jpg',
  'home/landscape.jpg': 'no-face.jpg',
  'later/anna-1-again.jpg': 'person-a-1.jpg',
};

describe('import and export commands', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  let workDir: string;
  let env: Record<string, string>;

  const admin = (args: string[]) =>
    run(process.execPath, [resolve(repoRoot, 'dist/apps/admin/src/main.js'), ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });

  before(async () => {
    testDatabase = await createTestDatabase('import');
    database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 2 });
    workDir = await mkdtemp(join(tmpdir(), 'facecloud-import-'));
    env = { DATABASE_URL: testDatabase.url, BLOB_DIR: join(workDir, 'blobs'), DATA_DIR: join(workDir, 'data') };
    const folder = join(workDir, 'photos');
    for (const [path, fixture] of Object.entries(layout)) {
      await mkdir(dirname(join(folder, path)), { recursive: true });
      await copyFile(join(fixturesDir, 'photos', fixture), join(folder, path));
    }
    await writeFile(join(folder, 'home/broken.jpg'), Buffer.from('not really a JPEG'));
    await writeFile(join(folder, 'notes.txt'), 'holiday notes');
  });

  after(async () => {
    await database?.close();
    await testDatabase?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  test('import uploads a folder recursively, shows progress, waits for processing and sums up', async () => {
    const { stdout, stderr } = await admin(['import', join(workDir, 'photos'), '--user', 'anna', '--process', '--progress-interval', '200']);
    // stderr is not a terminal here: periodic plain progress lines instead of a redrawn bar.
    const uploadLines = stderr.split('\n').filter((line) => line.startsWith('upload '));
    const processLines = stderr.split('\n').filter((line) => line.startsWith('process '));
    assert.ok(uploadLines.length >= 1 && processLines.length >= 1, stderr);
    assert.match(uploadLines.at(-1)!, /\] 8\/8 files \| 6 new, 1 already in, 1 rejected \| [\d.]+ files\/s \| ETA \S+$/);
    assert.match(processLines.at(-1)!, /\] 6\/6 photos \| (\d+) faces, 0 failed \| [\d.]+ photos\/s \| ETA \S+$/);
    assert.match(stdout, /^imported .+ for user anna: 8 photo file\(s\): 6 new, 1 already in, 1 rejected; 1 other file\(s\) ignored$/m);
    assert.match(stdout, /^ {2}rejected home\/broken\.jpg: not a readable image/m);
    const faces = Number(/processed: 6 done, 0 failed; (\d+) face\(s\) found/.exec(stdout)?.[1]);
    assert.ok(faces >= 9, stdout);
    assert.equal(Number(/(\d+) faces, 0 failed/.exec(processLines.at(-1)!)?.[1]), faces, 'bar and summary agree');

    const { rows } = await database.pool.query<{ original_name: string; status: string; face_count: number }>(
      `SELECT original_name, status, face_count FROM photos WHERE owner_id = 'anna' ORDER BY original_name`,
    );
    assert.deepEqual(
      rows.map((row) => row.original_name),
      ['anna-1.jpg', 'anna-2.jpg', 'ben-1.jpg', 'ben-2.jpg', 'group.JPG', 'landscape.jpg'],
      'photos are recorded under their file names',
    );
    assert.ok(rows.every((row) => row.status === 'done'));
    assert.equal(rows.reduce((sum, row) => sum + row.face_count, 0), faces);
  });

  test('import is resumable: a second run uploads nothing again', async () => {
    const blobsBefore = await readdir(env.BLOB_DIR, { recursive: true });
    const { stdout } = await admin(['import', join(workDir, 'photos'), '--user', 'anna', '--no-wait']);
    assert.match(stdout, /8 photo file\(s\): 0 new, 7 already in, 1 rejected/);
    assert.doesNotMatch(stdout, /processed:/, '--no-wait does not wait');
    const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM photos WHERE owner_id = 'anna'`);
    assert.equal(rows[0].n, 6);
    assert.deepEqual((await readdir(env.BLOB_DIR, { recursive: true })).sort(), blobsBefore.sort());
    const { rows: jobs } = await database.pool.query(`SELECT count(*)::int AS n FROM ingest_jobs`);
    assert.equal(jobs[0].n, 0, 'no job queued again');
  });

  test('export writes the persons with their faces, boxes and photo paths', async () => {
    await admin(['cluster', '--owner', 'anna']);
    const out = join(workDir, 'persons.json');
    const { stderr } = await admin(['export', '--user', 'anna', '--out', out, '--folder', join(workDir, 'photos')]);
    const exported = JSON.parse(await readFile(out, 'utf8')) as { userId: string; persons: ExportedPerson[] };
    assert.equal(exported.userId, 'anna');
    assert.match(stderr, new RegExp(`exported ${exported.persons.length} person\\(s\\)`));
    assert.ok(exported.persons.length >= 2, JSON.stringify(exported.persons.map((person) => person.faces.map((face) => face.photoName))));
    const paths = new Set(Object.keys(layout));
    for (const person of exported.persons) {
      assert.equal(person.faceCount, person.faces.length);
      for (const face of person.faces) {
        assert.ok(paths.has(face.photoPath), face.photoPath);
        assert.equal(face.photoName, face.photoPath.split('/').at(-1));
        assert.ok(face.box.width > 0 && face.box.height > 0);
        assert.equal(face.kind, 'face');
      }
    }
    const personOf = (path: string) => exported.persons.find((person) => person.faces.some((face) => face.photoPath === path));
    assert.ok(personOf('holiday/2019/anna-1.jpg'), 'anna is a person');
    assert.equal(personOf('holiday/2019/anna-1.jpg'), personOf('holiday/2019/anna-2.jpg'), "anna's two photos are one person");
    assert.notEqual(personOf('holiday/2019/anna-1.jpg'), personOf('holiday/2020/ben-1.jpg'));

    // Without --out the JSON goes to stdout, and nothing else does; without --folder, no paths.
    const { stdout } = await admin(['export', '--user', 'anna']);
    const withoutPaths = exported.persons.map((person) => ({ ...person, faces: person.faces.map(({ photoPath, ...face }) => face) }));
    assert.deepEqual((JSON.parse(stdout) as { persons: ExportedPerson[] }).persons, withoutPaths);
  });

  test('bad arguments exit 2 with the usage; a missing folder exits 1 with the reason', async () => {
    await assert.rejects(admin(['import']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /give exactly one folder[\s\S]*usage: npm run admin -- import <folder>/);
      return true;
    });
    await assert.rejects(admin(['import', workDir, '--user', 'no spaces']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /invalid user id "no spaces"/);
      return true;
    });
    await assert.rejects(admin(['import', join(workDir, 'absent')]), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /not a folder: /);
      return true;
    });
  });

  test('import of dataset photos: every labelled photo in, faces found, progress shown', { skip: skipWithoutDatasets }, async () => {
    // Three photos each of the first 15 identities of the dev set, as a user's folder of albums.
    const people = join(datasetsDir, 'dev/people');
    const sample = join(workDir, 'dataset-sample');
    let count = 0;
    for (const identity of (await readdir(people)).sort().slice(0, 15)) {
      for (const file of (await readdir(join(people, identity))).sort().slice(0, 3)) {
        await mkdir(join(sample, identity), { recursive: true });
        await copyFile(join(people, identity, file), join(sample, identity, file));
        count++;
      }
    }
    const { stdout, stderr } = await admin(['import', sample, '--user', 'dataset', '--process', '--progress-interval', '500']);
    const lastProcess = stderr.split('\n').filter((line) => line.startsWith('process ')).at(-1);
    assert.match(lastProcess ?? '', new RegExp(`\\] ${count}/${count} photos \\| \\d+ faces, 0 failed`), stderr);
    assert.match(stdout, new RegExp(`${count} photo file\\(s\\): ${count} new, 0 already in, 0 rejected`));
    const faces = Number(/processed: \d+ done, 0 failed; (\d+) face\(s\) found/.exec(stdout)?.[1]);
    assert.ok(faces >= count - 1, `faces on ${count} labelled photos: ${faces}`);
    console.log(`dataset import of ${count} photos:\n${stderr.trim()}\n${stdout.trim()}`);
  });
});
