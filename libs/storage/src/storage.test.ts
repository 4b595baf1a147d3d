import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openDatabase, withTransaction, type Database, type Queryable } from './database';
import { runMigrations } from './migrate';
import { toVectorParam } from './vector';
import type { NewFace } from './faces.repository';
import { Repositories } from './repositories';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';

function unitVector(seed: number): Float32Array {
  const values = Float32Array.from({ length: 192 }, (_, i) => Math.sin(seed * 7.1 + i));
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

function face(seed: number): NewFace {
  return {
    box: { x: seed, y: 2, width: 50, height: 60 },
    landmarks: [1, 2, 3, 4, 5].map((i) => ({ x: i, y: i * 2 })),
    detectionScore: 0.99,
    embedding: unitVector(seed),
    embeddingModel: 'test-192',
    thumbnailJpeg: Buffer.from([0xff, 0xd8, seed]),
    kind: 'face',
    quality: seed / 100,
    sharpness: 120,
    trashSimilarity: 0.1,
  };
}

/** The same repository code must behave the same on both engines. */
const engines: Array<{ name: string; open: () => Promise<{ database: Database; cleanup?: () => Promise<void> }> }> = [
  { name: 'embedded PGlite', open: async () => ({ database: await openDatabase({ embeddedDir: 'memory://', poolMax: 1 }) }) },
  {
    name: 'PostgreSQL with pgvector',
    open: async () => {
      const testDatabase: TestDatabase = await createTestDatabase('storage');
      const database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 4 });
      return { database, cleanup: () => testDatabase.drop() };
    },
  },
];

for (const engine of engines) describe(`storage on ${engine.name}`, () => {
  let database: Database;
  let cleanup: (() => Promise<void>) | undefined;
  const owner = `owner-${randomUUID()}`;
  const of = (ownerId = owner, db: Queryable = database.pool) => new Repositories().forOwner(db, ownerId);
  const jobQueue = () => new Repositories().acrossOwners(database.pool).jobs;

  before(async () => {
    ({ database, cleanup } = await engine.open());
    const applied = await runMigrations(database.pool);
    assert.ok(applied.length >= 1);
  });
  after(async () => {
    await database.close();
    await cleanup?.();
  });

  test('migrations are idempotent', async () => {
    assert.deepEqual(await runMigrations(database.pool), []);
  });

  test('the same bytes for the same owner are one photo; another owner gets their own', async () => {
    const sha256 = 'a'.repeat(64);
    const first = await of().photos.insertOrFind({ sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'x.jpg' });
    const again = await of().photos.insertOrFind({ sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'y.jpg' });
    const other = await of(`${owner}-b`).photos.insertOrFind({ sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'x.jpg' });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.photo.id, first.photo.id);
    assert.notEqual(other.photo.id, first.photo.id);
  });

  test('faces round-trip with their embeddings, and replacing them is idempotent', async () => {
    const { photo } = await of().photos.insertOrFind({ sha256: 'b'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    for (let round = 0; round < 2; round++) {
      await withTransaction(database.pool, async (client) => {
        const { faces, photos } = of(owner, client);
        await faces.replaceForPhoto(photo.id, [face(1), face(2)]);
        await photos.markDone(photo.id, { width: 100, height: 80, faceCount: 2, pipelineVersion: 'test', processedBy: 'test-worker' });
      });
    }
    const stored = await of().faces.listOfPhoto(photo.id);
    assert.equal(stored.length, 2);
    const done = await of().photos.find(photo.id);
    assert.deepEqual([done?.status, done?.processCount, done?.pipelineVersion], ['done', 2, 'test']);
    assert.equal(await of('someone-else').photos.find(photo.id), undefined, "another owner's handle does not see it");
    assert.deepEqual(stored[1].landmarks[4], { x: 5, y: 10 });
    const embeddings = await of().faces.listEmbeddings();
    assert.equal(embeddings.length, 2);
    embeddings.forEach((stored, i) => {
      const expected = unitVector(i + 1);
      const maxDiff = Math.max(...stored.embedding.map((value, k) => Math.abs(value - expected[k])));
      assert.ok(maxDiff < 1e-6, `embedding ${i} changed by ${maxDiff}`);
    });
    const thumbnail = await of().faces.thumbnail(stored[0].id);
    assert.deepEqual(thumbnail, Buffer.from([0xff, 0xd8, 1]));
    assert.equal(await of('someone-else').faces.thumbnail(stored[0].id), undefined);

    const [personId] = await of().persons.applyAssignments([{ personId: null, faceIds: stored.map((f) => f.id) }]);
    const person = await of().persons.find(personId);
    assert.equal(person?.faceCount, 2);
    assert.equal(person?.coverFaceId, stored[1].id, 'the higher-quality face is the cover');
  });

  test('blurry and trash faces are kept but not clustered', async () => {
    const { photo } = await of(`${owner}-q`).photos.insertOrFind({ sha256: 'e'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await of(`${owner}-q`).faces.replaceForPhoto(photo.id, [face(1), { ...face(2), kind: 'blurry' }, { ...face(3), kind: 'trash' }]);
    assert.deepEqual((await of(`${owner}-q`).faces.listOfPhoto(photo.id)).map((f) => f.kind), ['face', 'blurry', 'trash']);
    assert.equal((await of(`${owner}-q`).faces.listEmbeddings()).length, 1);
  });

  test('kNN over the HNSW index finds the nearest face of the owner', async () => {
    const { photo } = await of().photos.insertOrFind({ sha256: 'd'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await of().faces.replaceForPhoto(photo.id, [face(10), face(20), face(30)]);
    const { rows } = await database.pool.query<{ box_x: number }>(
      `SELECT f.box_x FROM face_embeddings e JOIN faces f ON f.id = e.face_id
       WHERE e.owner_id = $1 ORDER BY e.embedding <=> $2 LIMIT 1`,
      [owner, toVectorParam(unitVector(20))],
    );
    assert.equal(rows[0].box_x, 20);
  });

  test('a claimed job is leased: not handed out twice until released', async () => {
    const { photo } = await of().photos.insertOrFind({ sha256: 'c'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await of().jobs.enqueue(photo.id);
    const holder = await database.claims.holderKey();
    const [claimed] = await jobQueue().claim(10, 60, holder);
    assert.equal(claimed.photoId, photo.id);
    assert.equal(claimed.attempt, 1);
    assert.deepEqual(await jobQueue().claim(10, 60, holder), []);
    await jobQueue().retryLater(claimed.id, 0, 'transient');
    const [again] = await jobQueue().claim(10, 60, holder);
    assert.equal(again.attempt, 2);
    await jobQueue().complete(again.id);
    assert.equal(await jobQueue().count(), 0);
  });

  // The person rules the database keeps, written in plain SQL as any writer might: a person
  // without faces does not exist, and a chosen cover is one of the person's faces.
  const query = <T extends object>(sql: string, params: unknown[] = []) => database.pool.query<T>(sql, params).then((r) => r.rows);
  /** A person holding `count` faces, each on a photo of its own; returns the ids. */
  async function personWithFaces(count: number): Promise<{ personId: string; faceIds: string[]; photoIds: string[] }> {
    const [{ id: personId }] = await query<{ id: string }>('INSERT INTO persons (owner_id) VALUES ($1) RETURNING id', [owner]);
    const faceIds: string[] = [];
    const photoIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const [photo] = await query<{ id: string }>(
        `INSERT INTO photos (owner_id, sha256, byte_size, content_type, status) VALUES ($1, $2, 1, 'image/jpeg', 'done') RETURNING id`,
        [owner, randomUUID().replace(/-/g, '').padEnd(64, '0')],
      );
      const [face] = await query<{ id: string }>(
        `INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks, detection_score,
           embedding_model, thumbnail_jpeg, person_id)
         VALUES ($1, $2, 0, 0, 0, 10, 10, '{}', 0.9, 'test', '\\xffd8', $3) RETURNING id`,
        [owner, photo.id, personId],
      );
      faceIds.push(face.id);
      photoIds.push(photo.id);
    }
    return { personId, faceIds, photoIds };
  }
  const personExists = async (id: string) => (await query('SELECT 1 FROM persons WHERE id = $1', [id])).length === 1;
  const coverOf = async (id: string) => (await query<{ cover_face_id: string | null }>('SELECT cover_face_id FROM persons WHERE id = $1', [id]))[0]?.cover_face_id;

  test('person upkeep (migration 0010): a person whose last face leaves (unassigned, moved, or deleted with its photo) is gone at commit', async () => {
    const unassigned = await personWithFaces(1);
    await query('UPDATE faces SET person_id = NULL WHERE id = $1', [unassigned.faceIds[0]]);
    assert.equal(await personExists(unassigned.personId), false);

    const moved = await personWithFaces(2);
    const other = await personWithFaces(1);
    await query('UPDATE faces SET person_id = $1 WHERE id = $2', [other.personId, moved.faceIds[0]]);
    assert.equal(await personExists(moved.personId), true, 'one face left');
    await query('UPDATE faces SET person_id = $1 WHERE id = $2', [other.personId, moved.faceIds[1]]);
    assert.equal(await personExists(moved.personId), false);
    assert.equal(await personExists(other.personId), true);

    const deleted = await personWithFaces(1);
    await query('DELETE FROM photos WHERE id = $1', [deleted.photoIds[0]]);
    assert.equal(await personExists(deleted.personId), false);
  });

  test('person upkeep (migration 0010): within one transaction a person may be emptied and given faces again', async () => {
    const { personId, faceIds } = await personWithFaces(1);
    await withTransaction(database.pool, async (client) => {
      await client.query('UPDATE faces SET person_id = NULL WHERE id = $1', [faceIds[0]]);
      assert.equal((await client.query('SELECT 1 FROM persons WHERE id = $1', [personId])).rows.length, 1, 'not before the commit');
      await client.query('UPDATE faces SET person_id = $1 WHERE id = $2', [personId, faceIds[0]]);
    });
    assert.equal(await personExists(personId), true);
  });

  test("a chosen cover that leaves its person is cleared; the person's other faces keep it", async () => {
    const { personId, faceIds } = await personWithFaces(3);
    await query('UPDATE persons SET cover_face_id = $2 WHERE id = $1', [personId, faceIds[0]]);
    await query('UPDATE faces SET person_id = NULL WHERE id = $1', [faceIds[1]]);
    assert.equal(await coverOf(personId), faceIds[0], 'another face left: the cover stays');
    await query('UPDATE faces SET person_id = NULL WHERE id = $1', [faceIds[0]]);
    assert.equal(await coverOf(personId), null);
  });
});
