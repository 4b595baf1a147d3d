import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { resolvePrecision } from '@facecloud/vision';
import { asUser } from '../../tools/support/api-users';
import { fixturesDir } from '../../tools/support/paths';

export const photoFixtures = {
  personA: ['person-a-1.jpg', 'person-a-2.jpg'],
  personB: ['person-b-1.jpg', 'person-b-2.jpg'],
  noFace: 'no-face.jpg',
  group: 'group-5.jpg',
};

/** The library the slice works in, and another user who must see none of it (deployments provision both). */
export const sliceUsers = { owner: 'slice-owner', other: 'somebody-else' };
const as = asUser(sliceUsers.owner);

/** Deployments under test set UPLOAD_MAX_FILE_BYTES to this (the fixtures are smaller). */
export const sliceUploadLimitBytes = 1_000_000;

export interface SliceDeployment {
  baseUrl: string;
  /** What /health must report, proving which adapters the deployment really uses. */
  expected: { database: 'pglite' | 'postgres'; queue: 'postgres' | 'kafka'; runsModels: boolean };
  /** Processes' logs, printed when a test fails. */
  logs(): string[];
  teardown(): Promise<void>;
}

interface UploadResult {
  fileName: string;
  outcome: 'accepted' | 'duplicate' | 'rejected';
  photoId?: string;
  error?: string;
}

interface PhotoView {
  id: string;
  status: string;
  failureReason: string | null;
  faceCount: number | null;
  faces: Array<{ id: string; box: { width: number }; personId: string | null; thumbnailUrl: string }>;
}

async function upload(baseUrl: string, files: Array<{ name: string; bytes: Buffer; type?: string }>, owner?: string) {
  const form = new FormData();
  for (const file of files) form.append('file', new Blob([file.bytes], { type: file.type ?? 'image/jpeg' }), file.name);
  const response = await fetch(`${baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(owner ?? sliceUsers.owner) });
  return { status: response.status, body: (await response.json()) as { photos: UploadResult[]; message?: string } };
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, headers: { ...as, ...(init?.headers as Record<string, string>) } });
  assert.equal(response.status, 200, `${url}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function waitForProcessed(baseUrl: string, photoId: string, timeoutMs = 90_000): Promise<PhotoView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const photo = await getJson<PhotoView>(`${baseUrl}/photos/${photoId}`);
    if (photo.status === 'done' || photo.status === 'failed') return photo;
    if (Date.now() > deadline) throw new Error(`photo ${photoId} still ${photo.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const fixture = (name: string) => readFile(join(fixturesDir, 'photos', name));

/**
 * The foundation slice, the same for every deployment shape: photos uploaded over HTTP
 * become faces and persons.
 */
export function describeSlice(name: string, deploy: () => Promise<SliceDeployment>): void {
  describe(name, () => {
    let deployment: SliceDeployment;
    const photoIdOf = new Map<string, string>();
    const facesOf = new Map<string, PhotoView['faces']>();
    let personOfA: string | null = null;

    before(async () => {
      deployment = await deploy();
    });
    after(async () => {
      await deployment?.teardown();
    });

    const dumpLogsOnFailure = async (work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        console.error(`--- service logs ---\n${deployment.logs().slice(-60).join('\n')}`);
        throw error;
      }
    };

    test('health: the deployment runs on the expected database and queue', () =>
      dumpLogsOnFailure(async () => {
        const health = await getJson<{
          status: string;
          database: string;
          queue: string;
          vision?: { executionProvider: string; embedder: string };
        }>(`${deployment.baseUrl}/health`);
        const { runsModels, ...adapters } = deployment.expected;
        assert.deepEqual({ status: health.status, database: health.database, queue: health.queue }, { status: 'ok', ...adapters });
        if (runsModels) {
          assert.ok(health.vision && ['cpu', 'cuda'].includes(health.vision.executionProvider), JSON.stringify(health));
          // EMBEDDING_PRECISION=auto: int8 on a CPU with int8 dot products, else float32.
          const precision = resolvePrecision('auto', health.vision.executionProvider as 'cpu' | 'cuda');
          assert.equal(health.vision.embedder, precision === 'int8' ? 'mobilefacenet-192-int8' : 'mobilefacenet-192');
        } else {
          assert.equal(health.vision, undefined, 'an API-only process loads no models');
        }
      }));

    test('upload: several files in one request are accepted and queued (202)', () =>
      dumpLogsOnFailure(async () => {
        const names = [...photoFixtures.personA, ...photoFixtures.personB, photoFixtures.noFace];
        const files = await Promise.all(names.map(async (fileName) => ({ name: fileName, bytes: await fixture(fileName) })));
        const { status, body } = await upload(deployment.baseUrl, files);
        assert.equal(status, 202, JSON.stringify(body));
        assert.deepEqual(body.photos.map((p) => [p.fileName, p.outcome]), names.map((n) => [n, 'accepted']));
        body.photos.forEach((photo) => photoIdOf.set(photo.fileName, photo.photoId!));
        assert.equal(new Set(photoIdOf.values()).size, names.length);
      }));

    test('upload: the same bytes again return the same photo id (200, duplicate)', () =>
      dumpLogsOnFailure(async () => {
        const [first] = photoFixtures.personA;
        const { status, body } = await upload(deployment.baseUrl, [{ name: 'renamed.jpg', bytes: await fixture(first) }]);
        assert.equal(status, 200);
        assert.equal(body.photos[0].outcome, 'duplicate');
        assert.equal(body.photos[0].photoId, photoIdOf.get(first));
      }));

    test('upload: a file that is not an image is refused with a reason (415) and not stored', () =>
      dumpLogsOnFailure(async () => {
        const { status, body } = await upload(deployment.baseUrl, [
          { name: 'notes.jpg', bytes: Buffer.from('this is not a photo'), type: 'image/jpeg' },
        ]);
        assert.equal(status, 415);
        assert.equal(body.photos[0].outcome, 'rejected');
        assert.match(body.photos[0].error!, /not a readable image/);
      }));

    test('upload: a file over the size limit is refused (413) and the service stays healthy', () =>
      dumpLogsOnFailure(async () => {
        const { status, body } = await upload(deployment.baseUrl, [{ name: 'big.jpg', bytes: Buffer.alloc(sliceUploadLimitBytes + 1) }]);
        assert.equal(status, 413);
        assert.match(body.message!, /too large/i);
        // Log lines reach us through the child's stdout pipe, a moment after the response.
        const logged = () => deployment.logs().some((line) => line.includes('→ 413') && line.includes('File too large'));
        for (let waited = 0; !logged() && waited < 3000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(logged(), 'the refusal and its reason are logged');
        assert.equal((await fetch(`${deployment.baseUrl}/health`)).status, 200);
      }));

    test('worker: one face on each person photo, none on the no-face photo', () =>
      dumpLogsOnFailure(async () => {
        for (const [fileName, photoId] of photoIdOf) {
          const photo = await waitForProcessed(deployment.baseUrl, photoId);
          assert.equal(photo.status, 'done', `${fileName}: ${photo.failureReason}`);
          const expected = fileName === photoFixtures.noFace ? 0 : 1;
          assert.equal(photo.faceCount, expected, `${fileName}: ${photo.faceCount} faces`);
          assert.equal(photo.faces.length, expected);
          facesOf.set(fileName, photo.faces);
        }
      }));

    test('faces: the thumbnail is the aligned 112×112 crop as JPEG', () =>
      dumpLogsOnFailure(async () => {
        const [face] = facesOf.get(photoFixtures.personA[0])!;
        const response = await fetch(`${deployment.baseUrl}${face.thumbnailUrl}`, { headers: as });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'image/jpeg');
        const { width, height, format } = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        assert.deepEqual([format, width, height], ['jpeg', 112, 112]);
      }));

    test('people: the two photos of A form one person, the two of B another', () =>
      dumpLogsOnFailure(async () => {
        const run = await getJson<{ faceCount: number; personCount: number }>(`${deployment.baseUrl}/clustering/run?wait=true`, { method: 'POST' });
        assert.equal(run.faceCount, 4);
        const { people } = await getJson<{ people: Array<{ id: string; faceCount: number; coverFaceId: string }> }>(
          `${deployment.baseUrl}/people`,
        );
        const personOf = async (fileName: string) => {
          const photo = await getJson<PhotoView>(`${deployment.baseUrl}/photos/${photoIdOf.get(fileName)}`);
          return photo.faces[0].personId;
        };
        const [a1, a2, b1, b2] = await Promise.all(
          [...photoFixtures.personA, ...photoFixtures.personB].map((fileName) => personOf(fileName)),
        );
        assert.ok(a1 && b1, 'both persons assigned');
        assert.equal(a1, a2, 'A photos in one person');
        assert.equal(b1, b2, 'B photos in one person');
        assert.notEqual(a1, b1, 'A and B are different persons');
        personOfA = a1;
        assert.deepEqual(
          people.map((person) => person.faceCount).sort(),
          [2, 2],
        );
        const faceIdsOfA = [...photoFixtures.personA].flatMap((fileName) => facesOf.get(fileName)!.map((face) => face.id));
        assert.ok(faceIdsOfA.includes(people.find((person) => person.id === a1)!.coverFaceId), 'cover face is one of A');
      }));

    test('group photo: five faces, and no person holds two faces of one photo', () =>
      dumpLogsOnFailure(async () => {
        const { status, body } = await upload(deployment.baseUrl, [{ name: photoFixtures.group, bytes: await fixture(photoFixtures.group) }]);
        assert.equal(status, 202);
        const photo = await waitForProcessed(deployment.baseUrl, body.photos[0].photoId!);
        assert.equal(photo.faceCount, 5);
        const run = await getJson<{ faceCount: number }>(`${deployment.baseUrl}/clustering/run?wait=true`, { method: 'POST' });
        assert.equal(run.faceCount, 9);
        const regrouped = await getJson<PhotoView>(`${deployment.baseUrl}/photos/${photo.id}`);
        const persons = regrouped.faces.map((face) => face.personId).filter((id): id is string => id !== null);
        assert.equal(new Set(persons).size, persons.length, `persons of the group photo: ${persons.join(', ')}`);
        // A person found before keeps its id when the library is re-clustered.
        const a1 = await getJson<PhotoView>(`${deployment.baseUrl}/photos/${photoIdOf.get(photoFixtures.personA[0])}`);
        assert.ok(personOfA);
        assert.equal(a1.faces[0].personId, personOfA);
      }));

    test('photos: listed newest first in pages, filtered by status; bad parameters are 400', () =>
      dumpLogsOnFailure(async () => {
        const all: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = cursor ? `limit=2&cursor=${cursor}` : 'limit=2';
          const page = await getJson<{ photos: Array<{ id: string; status: string }>; nextCursor: string | null }>(
            `${deployment.baseUrl}/photos?${query}`,
          );
          assert.ok(page.photos.length <= 2);
          all.push(...page.photos.map((photo) => photo.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.equal(all.length, photoIdOf.size + 1, 'every photo once (fixtures + group photo)');
        assert.equal(new Set(all).size, all.length);
        const done = await getJson<{ photos: unknown[] }>(`${deployment.baseUrl}/photos?status=done&limit=200`);
        assert.equal(done.photos.length, all.length);
        const failed = await getJson<{ photos: unknown[] }>(`${deployment.baseUrl}/photos?status=failed`);
        assert.equal(failed.photos.length, 0);
        for (const bad of ['limit=0', 'limit=100000', 'status=lost', 'cursor=nonsense', 'limit=-5']) {
          const response = await fetch(`${deployment.baseUrl}/photos?${bad}`, { headers: as });
          assert.equal(response.status, 400, bad);
        }
      }));

    test('queue: nothing pending, no dead letters once everything is processed', () =>
      dumpLogsOnFailure(async () => {
        const stats = await getJson<{ pendingJobs: number; deadLetters: number; kafka?: { lag: number } }>(
          `${deployment.baseUrl}/queue`,
        );
        assert.equal(stats.pendingJobs, 0);
        assert.equal(stats.deadLetters, 0);
        if (stats.kafka) assert.equal(stats.kafka.lag, 0);
      }));

    test('isolation: another owner sees none of these photos, faces or persons', () =>
      dumpLogsOnFailure(async () => {
        const headers = asUser(sliceUsers.other);
        const photoId = photoIdOf.get(photoFixtures.personA[0]);
        assert.equal((await fetch(`${deployment.baseUrl}/photos/${photoId}`, { headers })).status, 404);
        const faceId = facesOf.get(photoFixtures.personA[0])![0].id;
        assert.equal((await fetch(`${deployment.baseUrl}/faces/${faceId}/thumbnail`, { headers })).status, 404);
        const { people } = await getJson<{ people: unknown[] }>(`${deployment.baseUrl}/people`, { headers });
        assert.deepEqual(people, []);
        const { photos } = await getJson<{ photos: unknown[] }>(`${deployment.baseUrl}/photos`, { headers });
        assert.deepEqual(photos, []);
        assert.equal((await fetch(`${deployment.baseUrl}/photos/${photoId}`, { method: 'DELETE', headers })).status, 404);
      }));

    test('delete: the photo, its faces and its original go; its person shrinks', () =>
      dumpLogsOnFailure(async () => {
        const [, second] = photoFixtures.personB;
        const photoId = photoIdOf.get(second)!;
        const [face] = facesOf.get(second)!;
        const before = await getJson<{ people: Array<{ id: string; faceCount: number }> }>(`${deployment.baseUrl}/people`);
        const personOfB = (await getJson<PhotoView>(`${deployment.baseUrl}/photos/${photoIdOf.get(photoFixtures.personB[0])}`)).faces[0].personId;
        assert.equal((await fetch(`${deployment.baseUrl}/photos/${photoId}`, { method: 'DELETE', headers: as })).status, 204);
        assert.equal((await fetch(`${deployment.baseUrl}/photos/${photoId}`, { headers: as })).status, 404);
        assert.equal((await fetch(`${deployment.baseUrl}/photos/${photoId}/original`, { headers: as })).status, 404);
        assert.equal((await fetch(`${deployment.baseUrl}/faces/${face.id}/thumbnail`, { headers: as })).status, 404);
        const after = await getJson<{ people: Array<{ id: string; faceCount: number }> }>(`${deployment.baseUrl}/people`);
        const count = (people: Array<{ id: string; faceCount: number }>) => people.find((p) => p.id === personOfB)?.faceCount;
        assert.equal(count(after.people), count(before.people)! - 1);
        // Uploading the same bytes again is a new photo, processed again.
        const { status } = await upload(deployment.baseUrl, [{ name: second, bytes: await fixture(second) }]);
        assert.equal(status, 202);
      }));
  });
}
