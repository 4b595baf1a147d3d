import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import sharp from 'sharp';
import { bootstrapHttp } from '@facecloud/platform';
import { BLOB_STORE, DATABASE, Repositories, toVectorParam, type BlobStore, type Database, type NewFace } from '@facecloud/storage';
import { ApiModule } from './api.module';
import { asUser, provisionUsers } from '../../../tools/support/api-users';
import { fixturesDir } from '../../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';

/**
 * The people API through the real Nest app (bootstrapHttp(ApiModule), as `npm run start:api`
 * runs it), on PostgreSQL with pgvector and on embedded PGlite. The library is seeded with
 * real photo files in the blob store and faces with chosen embeddings, so that similarity,
 * covers and one-face-per-photo conflicts are known in advance.
 */

const DIM = 192;

/** A unit vector near basis direction `axis`, slightly turned by `jitter`. */
function embedding(axis: number, jitter: number): Float32Array {
  const values = new Float32Array(DIM);
  values[axis] = 1;
  values[(axis + 17) % DIM] = jitter;
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

function newFace(axis: number, jitter: number, quality: number, x = 10): NewFace {
  return {
    box: { x, y: 20, width: 60, height: 70 },
    landmarks: [1, 2, 3, 4, 5].map((i) => ({ x: x + i * 5, y: 30 + i })),
    detectionScore: 0.99,
    embedding: embedding(axis, jitter),
    embeddingModel: 'test-192',
    thumbnailJpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9, Math.round(quality * 100)]),
    kind: 'face',
    quality,
    sharpness: 100,
    trashSimilarity: 0.1,
  };
}

interface Library {
  photos: Record<string, string>;
  /** person key → id */
  persons: Record<string, string>;
  /** face key → id */
  faces: Record<string, string>;
}

/**
 * A browser's revalidation of a cached image. (fetch() itself adds `Cache-Control: no-cache`
 * to a request with If-None-Match unless told otherwise, which rightly forbids a 304.)
 */
const revalidate = (etag: string) => ({ 'If-None-Match': etag, 'Cache-Control': 'max-age=0' });

interface Json {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const engines = [
  {
    name: 'PostgreSQL with pgvector',
    setup: async () => {
      const testDatabase: TestDatabase = await createTestDatabase('people_api');
      return { env: { DATABASE_URL: testDatabase.url }, cleanup: () => testDatabase.drop() };
    },
  },
  { name: 'embedded PGlite', setup: async () => ({ env: { DATABASE_URL: '' }, cleanup: async () => undefined }) },
];

for (const engine of engines) describe(`people API on ${engine.name}`, () => {
  let app: INestApplication;
  let baseUrl: string;
  let dataDir: string;
  let cleanup: () => Promise<void>;
  let database: Database;
  const owner = `owner-${randomBytes(4).toString('hex')}`;
  const stranger = `stranger-${randomBytes(4).toString('hex')}`;
  const lib: Library = { photos: {}, persons: {}, faces: {} };

  async function call(method: string, path: string, options: { user?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Json> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...asUser(options.user ?? owner),
        ...(options.body !== undefined && { 'Content-Type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const type = response.headers.get('content-type') ?? '';
    const body = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
    return { status: response.status, headers: response.headers, body };
  }

  /** A photo row, with its original from a fixture file (by name) or given bytes. */
  async function addPhoto(ownerId: string, key: string, fixture?: string | Buffer): Promise<string> {
    let sha256 = randomBytes(32).toString('hex');
    let byteSize = 1000;
    if (fixture) {
      const incoming = join(dataDir, 'blobs', '.incoming');
      await mkdir(incoming, { recursive: true });
      const temp = join(incoming, `${key}-${randomBytes(4).toString('hex')}`);
      if (typeof fixture === 'string') await copyFile(join(fixturesDir, 'photos', fixture), temp);
      else await writeFile(temp, fixture);
      ({ sha256, byteSize } = await app.get<BlobStore>(BLOB_STORE).putFile(temp));
    }
    const result = await database.pool.query<{ id: string }>(
      `INSERT INTO photos (owner_id, sha256, byte_size, content_type, original_name, status, width, height, face_count)
       VALUES ($1, $2, $3, 'image/jpeg', $4, 'done', 800, 600, 0) RETURNING id`,
      [ownerId, sha256, byteSize, `${key}.jpg`],
    );
    lib.photos[key] = result.rows[0].id;
    return result.rows[0].id;
  }

  async function addPerson(ownerId: string, key: string, name: string | null, hidden = false): Promise<string> {
    const result = await database.pool.query<{ id: string }>(
      'INSERT INTO persons (owner_id, name, hidden) VALUES ($1, $2, $3) RETURNING id',
      [ownerId, name, hidden],
    );
    lib.persons[key] = result.rows[0].id;
    return result.rows[0].id;
  }

  /** Faces of one photo; each [key, personKey | null, face]. */
  async function addFaces(ownerId: string, photoKey: string, faces: Array<[string, string | null, NewFace]>) {
    const ids = await new Repositories().forOwner(database.pool, ownerId).faces.replaceForPhoto(
      lib.photos[photoKey],
      faces.map(([, , face]) => face),
    );
    for (const [index, [key, personKey]] of faces.entries()) {
      lib.faces[key] = ids[index];
      if (personKey) await database.pool.query('UPDATE faces SET person_id = $1 WHERE id = $2', [lib.persons[personKey], ids[index]]);
    }
  }

  before(async () => {
    const setup = await engine.setup();
    cleanup = setup.cleanup;
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-people-api-'));
    Object.assign(process.env, {
      ...setup.env,
      DATA_DIR: dataDir,
      BLOB_DIR: join(dataDir, 'blobs'),
      KAFKA_BROKERS: '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'true',
      // The smallest allowed, so that a 2000×2000 progressive JPEG (23 MiB of coefficients) is over it.
      DECODE_MAX_MEMORY_BYTES: String(16 * 1024 * 1024),
    });
    app = await bootstrapHttp(ApiModule);
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    database = app.get<Database>(DATABASE);
    await provisionUsers({ pool: database.pool }, [owner, stranger]);

    // Alice (named) and an unnamed person look alike (axis 0); Carol is hidden (axis 1); Dan is far (axis 2).
    await addPerson(owner, 'alice', 'Alice');
    await addPerson(owner, 'twin', null);
    await addPerson(owner, 'carol', 'Carol', true);
    await addPerson(owner, 'dan', 'dan_%');
    await addPhoto(owner, 'group', 'group-5.jpg');
    await addPhoto(owner, 'a1', 'person-a-1.jpg');
    await addPhoto(owner, 'a2', 'person-a-2.jpg');
    await addPhoto(owner, 'b1', 'person-b-1.jpg');
    await addPhoto(owner, 'b2', 'person-b-2.jpg');
    await addPhoto(owner, 'x1');
    await addPhoto(owner, 'x2');
    await addFaces(owner, 'group', [
      ['aliceGroup', 'alice', newFace(0, 0.1, 0.5, 10)],
      ['twinGroup', 'twin', newFace(0, 0.2, 0.9, 200)],
      ['carolGroup', 'carol', newFace(1, 0.1, 0.6, 400)],
      ['loose', null, newFace(2, 0.5, 0.4, 600)],
    ]);
    await addFaces(owner, 'a1', [['alice1', 'alice', newFace(0, 0.05, 0.8)]]);
    await addFaces(owner, 'a2', [['alice2', 'alice', newFace(0, 0.15, 0.7)]]);
    await addFaces(owner, 'b1', [['twin1', 'twin', newFace(0, 0.3, 0.6)]]);
    await addFaces(owner, 'b2', [['carol1', 'carol', newFace(1, 0.2, 0.5)]]);
    await addFaces(owner, 'x1', [['dan1', 'dan', newFace(2, 0.1, 0.3)]]);
    await addFaces(owner, 'x2', [['dan2', 'dan', newFace(2, 0.2, 0.35)]]);
    // The stranger has a person that looks exactly like Alice: it must never show up for the owner.
    await addPerson(stranger, 'strangerAlice', 'Alice');
    await addPhoto(stranger, 's1', 'person-a-1.jpg');
    await addFaces(stranger, 's1', [['stranger1', 'strangerAlice', newFace(0, 0.05, 0.99)]]);
  });

  after(async () => {
    await app?.close();
    await cleanup?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('GET /people: visible persons, most faces first, with counts and cover', async () => {
    const { status, body } = await call('GET', '/people');
    assert.equal(status, 200);
    const ids = body.people.map((p: { id: string }) => p.id);
    assert.equal(ids[0], lib.persons.alice, 'Alice has 3 faces, the most');
    assert.deepEqual(new Set(ids.slice(1)), new Set([lib.persons.twin, lib.persons.dan]));
    assert.ok(!ids.includes(lib.persons.carol), 'hidden persons are not listed by default');
    assert.ok(!ids.includes(lib.persons.strangerAlice));
    const alice = body.people[0];
    assert.deepEqual(
      { name: alice.name, hidden: alice.hidden, faceCount: alice.faceCount, photoCount: alice.photoCount },
      { name: 'Alice', hidden: false, faceCount: 3, photoCount: 3 },
    );
    assert.equal(alice.coverFaceId, lib.faces.alice1, 'cover: the best-quality face');
    assert.equal(alice.coverThumbnailUrl, `/faces/${lib.faces.alice1}/thumbnail`);
    assert.ok(!Number.isNaN(Date.parse(alice.createdAt)));
    assert.equal(body.nextCursor, null);
  });

  test('GET /people: filters, name sort, search and cursor pages', async () => {
    const idsOf = (body: { people: Array<{ id: string }> }) => body.people.map((p) => p.id);
    assert.deepEqual(idsOf((await call('GET', '/people?filter=hidden')).body), [lib.persons.carol]);
    assert.deepEqual(new Set(idsOf((await call('GET', '/people?filter=named')).body)), new Set([lib.persons.alice, lib.persons.dan]));
    assert.deepEqual(idsOf((await call('GET', '/people?filter=unnamed')).body), [lib.persons.twin]);
    assert.equal((await call('GET', '/people?filter=all')).body.people.length, 4);
    // Name order: case-insensitive A-Z, unnamed last.
    assert.deepEqual(idsOf((await call('GET', '/people?sort=name&filter=all')).body), [
      lib.persons.alice,
      lib.persons.carol,
      lib.persons.dan,
      lib.persons.twin,
    ]);
    assert.deepEqual(idsOf((await call('GET', '/people?q=LIC')).body), [lib.persons.alice]);
    // % and _ are literal characters of a name, not patterns.
    assert.deepEqual(idsOf((await call('GET', '/people?q=%25')).body), [lib.persons.dan]);
    assert.deepEqual(idsOf((await call('GET', '/people?q=n_')).body), [lib.persons.dan]);
    assert.deepEqual(idsOf((await call('GET', '/people?q=zzz')).body), []);

    for (const sort of ['faces', 'name']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Json = await call('GET', `/people?filter=all&limit=1&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.people.length, 1);
        seen.push(page.body.people[0].id);
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      const whole = idsOf((await call('GET', `/people?filter=all&sort=${sort}`)).body);
      assert.deepEqual(seen, whole, `cursor pages of sort=${sort} walk the same list once`);
    }
  });

  test('GET /people: bad parameters are 400 with a reason', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=x', 'sort=age', 'filter=some', 'cursor=nonsense', `q=${'a'.repeat(101)}`]) {
      const { status, body } = await call('GET', `/people?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.statusCode, 400);
      assert.ok(Array.isArray(body.message) && body.message.length > 0, query);
    }
  });

  test('GET /people/:id and /people/:id/faces', async () => {
    const person = await call('GET', `/people/${lib.persons.dan}`);
    assert.equal(person.status, 200);
    assert.equal(person.body.name, 'dan_%');
    assert.equal(person.body.faceCount, 2);

    const first = await call('GET', `/people/${lib.persons.alice}/faces?limit=2`);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.faces.map((f: { id: string }) => f.id), [lib.faces.alice1, lib.faces.alice2]);
    const face = first.body.faces[0];
    assert.deepEqual(face, {
      id: lib.faces.alice1,
      personId: lib.persons.alice,
      personName: 'Alice',
      photoId: lib.photos.a1,
      box: { x: 10, y: 20, width: 60, height: 70 },
      quality: face.quality,
      kind: 'face',
      assignedBy: 'cluster',
      thumbnailUrl: `/faces/${lib.faces.alice1}/thumbnail`,
      photoUrl: `/photos/${lib.photos.a1}/original`,
      photoPreviewUrl: `/photos/${lib.photos.a1}/preview`,
    });
    assert.ok(Math.abs(face.quality - 0.8) < 1e-6);
    const second = await call('GET', `/people/${lib.persons.alice}/faces?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(second.body.faces.map((f: { id: string }) => f.id), [lib.faces.aliceGroup]);
    assert.equal(second.body.nextCursor, null);

    assert.equal((await call('GET', '/people/not-a-uuid')).status, 400);
    assert.equal((await call('GET', `/people/${lib.persons.alice}/faces?cursor=abc`)).status, 400);
    assert.equal((await call('GET', '/people/00000000-0000-4000-8000-000000000000')).status, 404);
  });

  test('PATCH /people/:id: name, hidden, cover face, and refusals', async () => {
    const id = lib.persons.dan;
    let result = await call('PATCH', `/people/${id}`, { body: { name: '  Daniel  ', coverFaceId: lib.faces.dan1 } });
    assert.equal(result.status, 200);
    assert.equal(result.body.name, 'Daniel');
    assert.equal(result.body.coverFaceId, lib.faces.dan1, 'the user override beats the better-quality dan2');
    result = await call('PATCH', `/people/${id}`, { body: { hidden: true } });
    assert.equal(result.body.hidden, true);
    assert.equal(result.body.coverFaceId, lib.faces.dan1, 'other fields stay');
    assert.ok(!(await call('GET', '/people')).body.people.some((p: { id: string }) => p.id === id));

    const refusals: Array<[unknown, number]> = [
      [{ name: '   ' }, 400],
      [{ name: 'x'.repeat(101) }, 400],
      [{ hidden: 'yes' }, 400],
      [{ coverFaceId: 'nope' }, 400],
      [{ coverFaceId: lib.faces.alice1 }, 400], // a face of another person
      [{ coverFaceId: lib.faces.stranger1 }, 400], // another user's face
      [{ colour: 'red' }, 400],
      [{}, 400],
    ];
    for (const [body, status] of refusals) {
      const refused = await call('PATCH', `/people/${id}`, { body });
      assert.equal(refused.status, status, JSON.stringify(body));
      assert.equal(refused.body.statusCode, status);
    }
    result = await call('PATCH', `/people/${id}`, { body: { name: null, hidden: false, coverFaceId: null } });
    assert.equal(result.status, 200);
    assert.deepEqual(
      { name: result.body.name, hidden: result.body.hidden, cover: result.body.coverFaceId },
      { name: null, hidden: false, cover: lib.faces.dan2 },
    );
    await call('PATCH', `/people/${id}`, { body: { name: 'dan_%' } });
  });

  test('names and searches: NUL, control characters and invisible-only names are 400 and change nothing', async () => {
    const id = lib.persons.twin;
    const refusals: Array<[string, unknown, RegExp]> = [
      ['PATCH', { name: 'Ann\u0000e' }, /name: must not contain control characters/],
      ['PATCH', { name: '\u0007\u001b[2J' }, /name: must not contain control characters/],
      ['PATCH', { name: 'Tab\there' }, /name: must not contain control characters/],
      ['PATCH', { name: '\u200b\u200c\u200d\u2060\ufeff' }, /name: must contain a visible character/],
      ['PATCH', { name: ' \u00ad\u200e ' }, /name: must contain a visible character/],
      ['POST', { newPerson: { name: '\u0000' } }, /newPerson.name: must not contain control characters/],
    ];
    for (const [method, body, message] of refusals) {
      const path = method === 'PATCH' ? `/people/${id}` : `/faces/${lib.faces.loose}/move`;
      const refused = await call(method, path, { body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match(JSON.stringify(refused.body.message), message);
    }
    const search = await call('GET', '/people?q=Ann%00e');
    assert.deepEqual([search.status, search.body.message], [400, ['q: must not contain control characters']]);
    assert.equal((await call('GET', `/people/${id}`)).body.name, null, 'the unnamed person stays unnamed');
    const group = await call('GET', `/photos/${lib.photos.group}`);
    const loose = group.body.faces.find((face: { id: string }) => face.id === lib.faces.loose);
    assert.equal(loose.personId, null, 'the face was not moved to a new person');

    // Joiners inside a name are part of it: an emoji family, a Persian word with a non-joiner.
    for (const name of ['\u{1F469}\u200d\u{1F469}\u200d\u{1F467} Family', 'می\u200cخواهم']) {
      const renamed = await call('PATCH', `/people/${id}`, { body: { name } });
      assert.deepEqual([renamed.status, renamed.body.name], [200, name]);
    }
    await call('PATCH', `/people/${id}`, { body: { name: null } });
  });

  test('GET /photos/:id: face boxes with person names; /photos/:id/preview is a cached, resized JPEG', async () => {
    const photo = await call('GET', `/photos/${lib.photos.group}`);
    assert.equal(photo.status, 200);
    assert.equal(photo.body.faces.length, 4);
    const names = photo.body.faces.map((f: { personName: string | null }) => f.personName);
    assert.deepEqual(names, ['Alice', null, 'Carol', null]);
    assert.deepEqual(photo.body.faces[2].box, { x: 400, y: 20, width: 60, height: 70 });
    assert.equal(photo.body.faces[0].landmarks.length, 5);
    assert.equal(photo.body.faces[0].photoPreviewUrl, `/photos/${lib.photos.group}/preview`);

    const preview = await call('GET', `/photos/${lib.photos.group}/preview?size=300`);
    assert.equal(preview.status, 200);
    assert.equal(preview.headers.get('content-type'), 'image/jpeg');
    assert.match(preview.headers.get('cache-control') ?? '', /private.*max-age=\d+/);
    const etag = preview.headers.get('etag');
    assert.ok(etag);
    const original = await sharp(join(fixturesDir, 'photos', 'group-5.jpg')).rotate().toBuffer({ resolveWithObject: true });
    const meta = await sharp(preview.body as Buffer).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(Math.max(meta.width!, meta.height!), 300);
    assert.ok(
      Math.abs(meta.width! / meta.height! - original.info.width / original.info.height) < 0.02,
      'aspect ratio of the rotated original',
    );
    const again = await call('GET', `/photos/${lib.photos.group}/preview?size=300`, { headers: revalidate(etag!) });
    assert.equal(again.status, 304);
    const otherSize = await call('GET', `/photos/${lib.photos.group}/preview?size=200`, { headers: revalidate(etag!) });
    assert.equal(otherSize.status, 200, 'another size is another representation');
    const defaultSize = await sharp((await call('GET', `/photos/${lib.photos.group}/preview`)).body as Buffer).metadata();
    assert.equal(Math.max(defaultSize.width!, defaultSize.height!), Math.min(1024, Math.max(original.info.width, original.info.height)));
    assert.equal((await call('GET', `/photos/${lib.photos.group}/preview?size=4096`)).status, 400);
  });

  test('GET /photos/:id/preview of a stored progressive JPEG over DECODE_MAX_MEMORY_BYTES: 422 with the reason, not a decode', async () => {
    const progressive = (side: number) =>
      sharp({ create: { width: side, height: side, channels: 3, background: '#567' } })
        .jpeg({ progressive: true, chromaSubsampling: '4:4:4' })
        .toBuffer();
    const over = await addPhoto(owner, 'progressiveOver', await progressive(2000));
    const refused = await call('GET', `/photos/${over}/preview?size=300`);
    assert.equal(refused.status, 422);
    assert.match(refused.body.message, /progressive JPEG of 2000×2000 pixels needs about 23 MiB to decode, over the limit of 16 MiB/);
    assert.doesNotMatch(refused.headers.get('cache-control') ?? '', /immutable/, 'a refusal is not cached as the preview');

    const under = await addPhoto(owner, 'progressiveUnder', await progressive(1000));
    const preview = await call('GET', `/photos/${under}/preview?size=300`);
    assert.equal(preview.status, 200);
    assert.equal((await sharp(preview.body as Buffer).metadata()).width, 300);
  });

  test('GET /faces/:id/thumbnail: ETag, Cache-Control and 304', async () => {
    const first = await call('GET', `/faces/${lib.faces.alice1}/thumbnail`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'image/jpeg');
    assert.match(first.headers.get('cache-control') ?? '', /private.*max-age=\d+/);
    assert.deepEqual([...(first.body as Buffer)], [0xff, 0xd8, 0xff, 0xd9, 80]);
    const etag = first.headers.get('etag')!;
    assert.ok(etag);
    const again = await call('GET', `/faces/${lib.faces.alice1}/thumbnail`, { headers: revalidate(etag) });
    assert.equal(again.status, 304);
    const stranger304 = await call('GET', `/faces/${lib.faces.alice1}/thumbnail`, { user: stranger, headers: revalidate(etag) });
    assert.equal(stranger304.status, 404, 'a cached validator never reveals another user\'s face');
    assert.notEqual(stranger304.headers.get('etag'), etag, 'the 404 carries no validator of the image');
  });

  test('GET /people/:id/similar: look-alikes first, hidden persons and other users never', async () => {
    const { status, body } = await call('GET', `/people/${lib.persons.alice}/similar`);
    assert.equal(status, 200);
    const ids = body.people.map((entry: { person: { id: string } }) => entry.person.id);
    assert.deepEqual(ids, [lib.persons.twin, lib.persons.dan]);
    assert.ok(body.people[0].similarity > 0.95, `twin similarity ${body.people[0].similarity}`);
    assert.ok(body.people[1].similarity < 0.1, `dan similarity ${body.people[1].similarity}`);
    for (const entry of body.people) assert.ok(entry.similarity >= 0 && entry.similarity <= 1);
    assert.equal(body.people[0].person.faceCount, 2);
    assert.equal((await call('GET', `/people/${lib.persons.alice}/similar?limit=1`)).body.people.length, 1);
    assert.equal((await call('GET', `/people/${lib.persons.alice}/similar?limit=51`)).status, 400);
  });

  test('merge and undo: exact restore, one face per photo, 409 on a second undo', async () => {
    const snapshot = async () => {
      const people = await Promise.all(
        [lib.persons.alice, lib.persons.twin].map(async (id) => (await call('GET', `/people/${id}`)).body),
      );
      const faces = await Promise.all(
        [lib.persons.alice, lib.persons.twin].map(async (id) => (await call('GET', `/people/${id}/faces`)).body.faces),
      );
      return { people, faces };
    };
    await call('PATCH', `/people/${lib.persons.twin}`, { body: { name: 'Twin', coverFaceId: lib.faces.twin1 } });
    const before = await snapshot();

    const merged = await call('POST', `/people/${lib.persons.alice}/merge`, { body: { personIds: [lib.persons.twin] } });
    assert.equal(merged.status, 201);
    assert.equal(merged.body.merge.targetPersonId, lib.persons.alice);
    assert.deepEqual(merged.body.merge.mergedPersonIds, [lib.persons.twin]);
    // Both have a face on the group photo: Twin's (quality 0.9) is the better one and stays.
    assert.equal(merged.body.person.faceCount, 4);
    const faces = (await call('GET', `/people/${lib.persons.alice}/faces`)).body.faces;
    assert.deepEqual(new Set(faces.map((f: { id: string }) => f.id)), new Set([lib.faces.twinGroup, lib.faces.alice1, lib.faces.alice2, lib.faces.twin1]));
    assert.ok(faces.every((f: { assignedBy: string }) => f.assignedBy === 'user'), 'the user confirmed the whole person');
    const dropped = await call('GET', `/photos/${lib.photos.group}`);
    assert.equal(dropped.body.faces.find((f: { id: string }) => f.id === lib.faces.aliceGroup).personId, null);
    assert.equal((await call('GET', `/people/${lib.persons.twin}`)).status, 404, 'the merged person is gone');

    const undone = await call('POST', `/merges/${merged.body.merge.id}/undo`);
    assert.equal(undone.status, 200);
    assert.deepEqual(undone.body.restoredPersonIds, [lib.persons.twin]);
    assert.equal(undone.body.person.id, lib.persons.alice);
    assert.deepEqual(await snapshot(), before, 'persons, covers, faces and assignedBy exactly as before the merge');

    const twice = await call('POST', `/merges/${merged.body.merge.id}/undo`);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.statusCode, 409);
    assert.equal((await call('POST', `/merges/00000000-0000-4000-8000-000000000000/undo`)).status, 404);
  });

  test('merge: refusals leave everything as it was', async () => {
    const alice = lib.persons.alice;
    const cases: Array<[unknown, number]> = [
      [{ personIds: [alice] }, 400],
      [{ personIds: [] }, 400],
      [{ personIds: [lib.persons.dan, lib.persons.dan] }, 400],
      [{ personIds: ['x'] }, 400],
      [{}, 400],
      [{ personIds: [lib.persons.dan, '00000000-0000-4000-8000-000000000000'] }, 404],
      [{ personIds: [lib.persons.strangerAlice] }, 404],
    ];
    for (const [body, status] of cases) {
      assert.equal((await call('POST', `/people/${alice}/merge`, { body })).status, status, JSON.stringify(body));
    }
    assert.equal((await call('GET', `/people/${lib.persons.dan}`)).body.faceCount, 2);
    assert.equal((await call('GET', `/people/${alice}`)).body.faceCount, 3);
  });

  test('undo after the target changed still restores the merged faces still in it', async () => {
    const merged = await call('POST', `/people/${lib.persons.alice}/merge`, { body: { personIds: [lib.persons.dan] } });
    assert.equal(merged.status, 201);
    // Later the user moves one of Dan's former faces to a new person.
    const moved = await call('POST', `/faces/${lib.faces.dan1}/move`, { body: { newPerson: { name: 'Someone' } } });
    assert.equal(moved.status, 200);
    const undone = await call('POST', `/merges/${merged.body.merge.id}/undo`);
    assert.equal(undone.status, 200);
    const dan = (await call('GET', `/people/${lib.persons.dan}/faces`)).body.faces;
    assert.deepEqual(dan.map((f: { id: string }) => f.id), [lib.faces.dan2]);
    assert.equal((await call('GET', `/people/${lib.persons.dan}`)).body.name, 'dan_%');
    assert.equal((await call('GET', `/people/${lib.persons.alice}`)).body.faceCount, 3);
    // Put things back for the other tests.
    assert.equal((await call('POST', `/faces/${lib.faces.dan1}/move`, { body: { personId: lib.persons.dan } })).status, 200);
  });

  test('faces: move (409 on a second face of a photo), remove ("not this person"), not-a-face', async () => {
    const conflict = await call('POST', `/faces/${lib.faces.carolGroup}/move`, { body: { personId: lib.persons.alice } });
    assert.equal(conflict.status, 409, 'Alice already has a face on the group photo');

    const moved = await call('POST', `/faces/${lib.faces.carol1}/move`, { body: { personId: lib.persons.alice } });
    assert.equal(moved.status, 200);
    assert.deepEqual(
      { personId: moved.body.personId, personName: moved.body.personName, assignedBy: moved.body.assignedBy },
      { personId: lib.persons.alice, personName: 'Alice', assignedBy: 'user' },
    );

    const toNew = await call('POST', `/faces/${lib.faces.loose}/move`, { body: { newPerson: {} } });
    assert.equal(toNew.status, 200);
    assert.ok(toNew.body.personId);
    assert.equal(toNew.body.personName, null);

    const removed = await call('POST', `/faces/${lib.faces.carol1}/remove`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.personId, null);
    const exclusion = await database.pool.query('SELECT 1 FROM face_person_exclusions WHERE face_id = $1 AND person_id = $2', [
      lib.faces.carol1,
      lib.persons.alice,
    ]);
    assert.equal(exclusion.rows.length, 1, '"not this person" is recorded for the clusterer');
    assert.equal((await call('POST', `/faces/${lib.faces.carol1}/remove`)).status, 409, 'it belongs to no person now');

    const notFace = await call('POST', `/faces/${lib.faces.loose}/not-a-face`);
    assert.equal(notFace.status, 200);
    assert.deepEqual({ kind: notFace.body.kind, personId: notFace.body.personId }, { kind: 'not_face', personId: null });
    assert.equal((await call('GET', `/people/${toNew.body.personId}`)).status, 404, 'a person left without faces goes');

    for (const body of [{}, { personId: 'x' }, { personId: lib.persons.alice, newPerson: {} }, { newPerson: { name: '' } }]) {
      assert.equal((await call('POST', `/faces/${lib.faces.carol1}/move`, { body })).status, 400, JSON.stringify(body));
    }
    assert.equal((await call('POST', `/faces/${lib.faces.carol1}/move`, { body: { personId: lib.persons.strangerAlice } })).status, 404);
  });

  test("another user gets 404 on every id, and nothing changes", async () => {
    const aliceBefore = (await call('GET', `/people/${lib.persons.alice}`)).body;
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `/people/${lib.persons.alice}`],
      ['GET', `/people/${lib.persons.alice}/faces`],
      ['GET', `/people/${lib.persons.alice}/similar`],
      ['PATCH', `/people/${lib.persons.alice}`, { name: 'Mallory' }],
      ['POST', `/people/${lib.persons.alice}/merge`, { personIds: [lib.persons.dan] }],
      ['POST', `/people/${lib.persons.strangerAlice}/merge`, { personIds: [lib.persons.alice] }],
      ['POST', `/faces/${lib.faces.alice1}/move`, { newPerson: {} }],
      ['POST', `/faces/${lib.faces.alice1}/remove`],
      ['POST', `/faces/${lib.faces.alice1}/not-a-face`],
      ['GET', `/faces/${lib.faces.alice1}/thumbnail`],
      ['GET', `/photos/${lib.photos.a1}`],
      ['GET', `/photos/${lib.photos.a1}/preview`],
    ];
    for (const [method, path, body] of requests) {
      const result = await call(method, path, { user: stranger, body });
      assert.equal(result.status, 404, `${method} ${path}`);
    }
    const merge = await call('POST', `/people/${lib.persons.alice}/merge`, { body: { personIds: [lib.persons.dan] } });
    assert.equal((await call('POST', `/merges/${merge.body.merge.id}/undo`, { user: stranger })).status, 404);
    assert.equal((await call('POST', `/merges/${merge.body.merge.id}/undo`)).status, 200);
    assert.deepEqual((await call('GET', `/people/${lib.persons.alice}`)).body, aliceBefore);
    const strangers = (await call('GET', '/people', { user: stranger })).body.people;
    assert.deepEqual(strangers.map((p: { id: string }) => p.id), [lib.persons.strangerAlice]);
    assert.equal((await call('GET', `/people/${lib.persons.strangerAlice}/similar`, { user: stranger })).body.people.length, 0);
  });

  test('face counts kept by the database equal the faces each person holds, after every change above and a deletion', async () => {
    const counts = async () =>
      (
        await database.pool.query<{ id: string; face_count: number; held: string }>(
          'SELECT p.id, p.face_count, (SELECT count(*) FROM faces f WHERE f.person_id = p.id) AS held FROM persons p ORDER BY p.id',
        )
      ).rows;
    const before = await counts();
    assert.ok(before.some((row) => row.face_count > 1), 'persons with several faces');
    for (const row of before) assert.equal(row.face_count, Number(row.held), `person ${row.id}`);

    const { rows } = await database.pool.query<{ person_id: string }>('SELECT person_id FROM faces WHERE id = $1', [lib.faces.alice2]);
    const holder = rows[0].person_id;
    const listed = async () => (await call('GET', `/people/${holder}`)).body.faceCount as number;
    const faceCount = await listed();
    assert.equal((await call('DELETE', `/photos/${lib.photos.a2}`)).status, 204);
    assert.equal(await listed(), faceCount - 1);
    for (const row of await counts()) assert.equal(row.face_count, Number(row.held), `person ${row.id}`);
  });

  test('OpenAPI document at /docs-json and Swagger UI at /docs', async () => {
    const json = await call('GET', '/docs-json');
    assert.equal(json.status, 200);
    const paths = Object.keys(json.body.paths);
    for (const path of ['/people', '/people/{id}', '/people/{id}/faces', '/people/{id}/merge', '/people/{id}/similar', '/merges/{id}/undo', '/faces/{id}/move', '/photos/{id}/preview']) {
      assert.ok(paths.includes(path), `${path} documented`);
    }
    const patch = json.body.paths['/people/{id}'].patch;
    assert.deepEqual(Object.keys(patch.requestBody.content['application/json'].schema.properties), ['name', 'hidden', 'coverFaceId']);
    const listParams = json.body.paths['/people'].get.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(listParams.sort(), ['cursor', 'filter', 'limit', 'q', 'sort']);
    const ui = await fetch(`${baseUrl}/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger-ui/i);
  });
});
