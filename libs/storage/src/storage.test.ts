import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openDatabase, withTransaction, type Database } from './database';
import { runMigrations } from './migrate';
import { toVectorParam } from './vector';
import { FaceRepository, type NewFace } from './faces.repository';
import { IngestJobRepository } from './ingest-jobs.repository';
import { PersonRepository } from './persons.repository';
import { PhotoRepository } from './photos.repository';
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
  const photos = new PhotoRepository();
  const faces = new FaceRepository();
  const persons = new PersonRepository();
  const jobs = new IngestJobRepository();
  const owner = `owner-${randomUUID()}`;

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
    const first = await photos.insertOrFind(database.pool, { ownerId: owner, sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'x.jpg' });
    const again = await photos.insertOrFind(database.pool, { ownerId: owner, sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'y.jpg' });
    const other = await photos.insertOrFind(database.pool, { ownerId: `${owner}-b`, sha256, byteSize: 10, contentType: 'image/jpeg', originalName: 'x.jpg' });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.photo.id, first.photo.id);
    assert.notEqual(other.photo.id, first.photo.id);
  });

  test('faces round-trip with their embeddings, and replacing them is idempotent', async () => {
    const { photo } = await photos.insertOrFind(database.pool, { ownerId: owner, sha256: 'b'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    for (let round = 0; round < 2; round++) {
      await withTransaction(database.pool, async (client) => {
        await faces.replaceForPhoto(client, photo.id, owner, [face(1), face(2)]);
        await photos.markDone(client, photo.id, { width: 100, height: 80, faceCount: 2, pipelineVersion: 'test', processedBy: 'test-worker' });
      });
    }
    const stored = await faces.listOfPhoto(database.pool, owner, photo.id);
    assert.equal(stored.length, 2);
    const done = await photos.findById(database.pool, photo.id);
    assert.deepEqual([done?.status, done?.processCount, done?.pipelineVersion], ['done', 2, 'test']);
    assert.deepEqual(stored[1].landmarks[4], { x: 5, y: 10 });
    const embeddings = await faces.listEmbeddings(database.pool, owner);
    assert.equal(embeddings.length, 2);
    embeddings.forEach((stored, i) => {
      const expected = unitVector(i + 1);
      const maxDiff = Math.max(...stored.embedding.map((value, k) => Math.abs(value - expected[k])));
      assert.ok(maxDiff < 1e-6, `embedding ${i} changed by ${maxDiff}`);
    });
    const thumbnail = await faces.getThumbnail(database.pool, stored[0].id, owner);
    assert.deepEqual(thumbnail, Buffer.from([0xff, 0xd8, 1]));
    assert.equal(await faces.getThumbnail(database.pool, stored[0].id, 'someone-else'), undefined);

    const [personId] = await persons.applyAssignments(database.pool, owner, [{ personId: null, faceIds: stored.map((f) => f.id) }]);
    const person = await persons.findById(database.pool, owner, personId);
    assert.equal(person?.faceCount, 2);
    assert.equal(person?.coverFaceId, stored[1].id, 'the higher-quality face is the cover');
  });

  test('blurry and trash faces are kept but not clustered', async () => {
    const { photo } = await photos.insertOrFind(database.pool, { ownerId: `${owner}-q`, sha256: 'e'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await faces.replaceForPhoto(database.pool, photo.id, `${owner}-q`, [face(1), { ...face(2), kind: 'blurry' }, { ...face(3), kind: 'trash' }]);
    assert.deepEqual((await faces.listOfPhoto(database.pool, `${owner}-q`, photo.id)).map((f) => f.kind), ['face', 'blurry', 'trash']);
    assert.equal((await faces.listEmbeddings(database.pool, `${owner}-q`)).length, 1);
  });

  test('kNN over the HNSW index finds the nearest face of the owner', async () => {
    const { photo } = await photos.insertOrFind(database.pool, { ownerId: owner, sha256: 'd'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await faces.replaceForPhoto(database.pool, photo.id, owner, [face(10), face(20), face(30)]);
    const { rows } = await database.pool.query<{ box_x: number }>(
      `SELECT f.box_x FROM face_embeddings e JOIN faces f ON f.id = e.face_id
       WHERE e.owner_id = $1 ORDER BY e.embedding <=> $2 LIMIT 1`,
      [owner, toVectorParam(unitVector(20))],
    );
    assert.equal(rows[0].box_x, 20);
  });

  test('a claimed job is leased: not handed out twice until released', async () => {
    const { photo } = await photos.insertOrFind(database.pool, { ownerId: owner, sha256: 'c'.repeat(64), byteSize: 1, contentType: 'image/png', originalName: null });
    await jobs.enqueue(database.pool, photo.id, owner);
    const holder = await database.claims.holderKey();
    const [claimed] = await jobs.claim(database.pool, 10, 60, holder);
    assert.equal(claimed.photoId, photo.id);
    assert.equal(claimed.attempt, 1);
    assert.deepEqual(await jobs.claim(database.pool, 10, 60, holder), []);
    await jobs.retryLater(database.pool, claimed.id, 0, 'transient');
    const [again] = await jobs.claim(database.pool, 10, 60, holder);
    assert.equal(again.attempt, 2);
    await jobs.complete(database.pool, again.id);
    assert.equal(await jobs.count(database.pool), 0);
  });
});
