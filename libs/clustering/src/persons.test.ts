/**
 * The person rules of clustering on real PostgreSQL with pgvector: small synthetic libraries
 * (192-d unit embeddings scattered around one centre per identity) written straight into
 * the database, user decisions written the way the people API writes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { configSchema, type AppConfig } from '@facecloud/config';
import {
  Repositories,
  openDatabase,
  runMigrations,
  withTransaction,
  type NewFace,
  type Database,
  type Queryable,
} from '@facecloud/storage';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';
import { clusteringServices } from './clustering.module';
import { seededRandom } from './knn/cell-index';

const DIMENSIONS = 192;

const random = seededRandom(20240601);
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
function normalize(values: Float32Array): Float32Array {
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}
function randomUnit(): Float32Array {
  return normalize(Float32Array.from({ length: DIMENSIONS }, gaussian));
}
/** A face of the identity with centre `centre`: cosine ≈ 0.75 to other faces of it, ≈ 0 to other identities. */
function faceOf(centre: Float32Array, spread = 0.58): Float32Array {
  const noise = randomUnit();
  return normalize(centre.map((value, i) => value + spread * noise[i]));
}
function mix(a: Float32Array, b: Float32Array, weightOfB: number): Float32Array {
  return normalize(a.map((value, i) => (1 - weightOfB) * value + weightOfB * b[i]));
}

/** A detected face with this embedding, as the ingest stores it. */
function testFace(embedding: Float32Array): NewFace {
  return {
    box: { x: 0, y: 0, width: 50, height: 50 },
    landmarks: [],
    detectionScore: 0.99,
    embedding,
    embeddingModel: 'test-192',
    thumbnailJpeg: Buffer.from([0xff, 0xd8]),
    kind: 'face',
    quality: 0.5,
    sharpness: null,
    trashSimilarity: null,
  };
}

function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return configSchema.parse({ CLUSTER_RUN_WAIT_SECONDS: '30', ...overrides });
}

describe('persons across clustering runs (PostgreSQL with pgvector)', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  const repositories = new Repositories();
  const service = (config = testConfig()) => {
    const { queue, assignment } = clusteringServices(database, config);
    return { clusterOwner: (ownerId: string) => queue.clusterOwner(ownerId), assignPending: (ownerId: string) => assignment.assignPending(ownerId) };
  };

  before(async () => {
    testDatabase = await createTestDatabase('persons');
    database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 4 });
    await runMigrations(database.pool);
  });
  after(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  async function addPhoto(ownerId: string, embeddings: Float32Array[], qualities?: number[]): Promise<string[]> {
    const photo = await database.pool.query<{ id: string }>(
      `INSERT INTO photos (owner_id, sha256, byte_size, content_type, status) VALUES ($1, $2, 1, 'image/jpeg', 'done') RETURNING id`,
      [ownerId, randomBytes(32).toString('hex')],
    );
    const rows = embeddings.map((embedding, i) => ({ ...testFace(embedding), quality: qualities?.[i] ?? 0.5 }));
    return repositories.forOwner(database.pool, ownerId).faces.replaceForPhoto(photo.rows[0].id, rows);
  }
  /** One photo per face; returns the face ids. */
  async function addSolo(ownerId: string, centre: Float32Array, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(...(await addPhoto(ownerId, [faceOf(centre)])));
    return ids;
  }
  /** A new library of two identities, Alice and Bob, with `count` single-face photos each. */
  async function aliceAndBob(prefix: string, count: number) {
    const owner = `${prefix}-${randomUUID()}`;
    const alice = randomUnit();
    const bob = randomUnit();
    const aliceFaces = await addSolo(owner, alice, count);
    const bobFaces = await addSolo(owner, bob, count);
    return { owner, alice, bob, aliceFaces, bobFaces };
  }
  async function personOf(faceId: string): Promise<string | null> {
    const result = await database.pool.query<{ person_id: string | null }>('SELECT person_id FROM faces WHERE id = $1', [faceId]);
    return result.rows[0].person_id;
  }
  async function personsOf(faceIds: string[]): Promise<Array<string | null>> {
    return Promise.all(faceIds.map(personOf));
  }
  /** The single person all these faces belong to (asserting they do). */
  async function commonPerson(faceIds: string[]): Promise<string> {
    const ids = new Set(await personsOf(faceIds));
    assert.equal(ids.size, 1, `faces spread over persons ${[...ids].join(', ')}`);
    const [id] = ids;
    assert.ok(id, 'faces are unassigned');
    return id;
  }
  async function person(personId: string) {
    const result = await database.pool.query<{ name: string | null; hidden: boolean; cover_face_id: string | null }>(
      'SELECT name, hidden, cover_face_id FROM persons WHERE id = $1',
      [personId],
    );
    return result.rows[0];
  }
  async function personCount(ownerId: string): Promise<number> {
    const result = await database.pool.query<{ count: string }>('SELECT count(*) FROM persons WHERE owner_id = $1', [ownerId]);
    return Number(result.rows[0].count);
  }
  /** No person holds two faces of one photo. */
  async function assertOneFacePerPhoto(ownerId: string): Promise<void> {
    const result = await database.pool.query<{ photo_id: string; person_id: string; n: string }>(
      `SELECT photo_id, person_id, count(*) AS n FROM faces WHERE owner_id = $1 AND person_id IS NOT NULL
       GROUP BY photo_id, person_id HAVING count(*) > 1`,
      [ownerId],
    );
    assert.deepEqual(result.rows, []);
  }
  // User decisions, written as the people API writes them.
  async function removeFromPerson(ownerId: string, faceId: string): Promise<void> {
    await withTransaction(database.pool, async (client) => {
      const { rows } = await client.query<{ person_id: string }>('SELECT person_id FROM faces WHERE id = $1 FOR UPDATE', [faceId]);
      await client.query(`UPDATE faces SET person_id = NULL, assigned_by = 'cluster' WHERE id = $1`, [faceId]);
      await client.query('INSERT INTO face_person_exclusions (face_id, person_id, owner_id) VALUES ($1, $2, $3)', [
        faceId,
        rows[0].person_id,
        ownerId,
      ]);
    });
  }
  async function moveToPerson(faceId: string, personId: string): Promise<void> {
    await database.pool.query(`UPDATE faces SET person_id = $2, assigned_by = 'user' WHERE id = $1`, [faceId, personId]);
  }
  async function merge(ownerId: string, targetId: string, mergedId: string): Promise<void> {
    await withTransaction(database.pool, async (client) => {
      const merged = await client.query('SELECT id, name, hidden FROM persons WHERE id = $1', [mergedId]);
      await client.query('UPDATE faces SET person_id = $1 WHERE person_id = $2', [targetId, mergedId]);
      await client.query(`UPDATE faces SET assigned_by = 'user' WHERE person_id = $1`, [targetId]);
      await client.query('DELETE FROM persons WHERE id = $1', [mergedId]);
      await client.query('INSERT INTO person_merges (owner_id, target_person_id, merged_persons) VALUES ($1, $2, $3)', [
        ownerId,
        targetId,
        JSON.stringify(merged.rows),
      ]);
    });
  }

  test('a renamed person keeps its id, name and new faces; hidden flag and cover face survive; a new identity gets a new person', async () => {
    const owner = `rename-${randomUUID()}`;
    const alice = randomUnit();
    const bob = randomUnit();
    const carol = randomUnit();
    const aliceFaces = await addSolo(owner, alice, 5);
    const bobFaces = await addSolo(owner, bob, 5);
    const first = await service().clusterOwner(owner);
    assert.equal(first.personCount, 2);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);
    assert.notEqual(aliceId, bobId);

    await database.pool.query(`UPDATE persons SET name = 'Alice' WHERE id = $1`, [aliceId]);
    await database.pool.query('UPDATE persons SET hidden = true, cover_face_id = $2 WHERE id = $1', [bobId, bobFaces[3]]);
    const moreAlice = await addSolo(owner, alice, 5);
    const carolFaces = await addSolo(owner, carol, 4);
    const second = await service().clusterOwner(owner);
    assert.equal(second.faceCount, 19);
    assert.equal(await commonPerson([...aliceFaces, ...moreAlice]), aliceId);
    assert.equal((await person(aliceId)).name, 'Alice');
    assert.equal(await commonPerson(bobFaces), bobId);
    assert.deepEqual(await person(bobId), { name: null, hidden: true, cover_face_id: bobFaces[3] });
    const carolId = await commonPerson(carolFaces);
    assert.ok(carolId !== aliceId && carolId !== bobId);
    assert.equal(await personCount(owner), 3);
  });

  test('a named person never dissolves or changes hands when clustering would regroup its faces', async () => {
    const { owner, alice, bob, aliceFaces, bobFaces } = await aliceAndBob('named', 5);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);
    await database.pool.query(`UPDATE persons SET name = 'Alice' WHERE id = $1`, [aliceId]);
    // At a threshold no two faces reach neither group is a cluster any more.
    const result = await service(testConfig({ CLUSTER_LINKAGE_THRESHOLD: '0.9999' })).clusterOwner(owner);
    assert.equal(result.personCount, 1);
    assert.equal(await commonPerson(aliceFaces), aliceId);
    assert.equal((await person(aliceId)).name, 'Alice');
    assert.deepEqual(await personsOf(bobFaces), bobFaces.map(() => null));
    assert.equal(await person(bobId), undefined);
  });

  test('a face the user placed stays with its person in every run', async () => {
    const owner = `placed-${randomUUID()}`;
    const aliceFaces = await addSolo(owner, randomUnit(), 5);
    const bobFaces = await addSolo(owner, randomUnit(), 5);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);
    await moveToPerson(aliceFaces[0], bobId);
    await service().clusterOwner(owner);
    await service().clusterOwner(owner);
    assert.equal(await personOf(aliceFaces[0]), bobId);
    assert.equal(await commonPerson(aliceFaces.slice(1)), aliceId);
    assert.equal(await commonPerson(bobFaces), bobId);
  });

  test('a face removed from a person never returns to it: not by a run, not by incremental assignment', async () => {
    const owner = `removed-${randomUUID()}`;
    const alice = randomUnit();
    const aliceFaces = await addSolo(owner, alice, 6);
    await addSolo(owner, randomUnit(), 5);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);
    const [removed, ...kept] = aliceFaces;
    await removeFromPerson(owner, removed);

    await service().clusterOwner(owner);
    assert.equal(await personOf(removed), null);
    assert.equal(await commonPerson(kept), aliceId);

    // Offered again between runs, next to a new face of the same identity.
    await database.pool.query('UPDATE faces SET cluster_pending = true WHERE id = $1', [removed]);
    const [newFace] = await addSolo(owner, alice, 1);
    const pass = await service().assignPending(owner);
    assert.deepEqual(pass, { checked: 2, assigned: 1 });
    assert.equal(await personOf(newFace), aliceId);
    assert.equal(await personOf(removed), null);

    await service().clusterOwner(owner);
    assert.equal(await personOf(removed), null);
    assert.equal(await commonPerson([...kept, newFace]), aliceId);
  });

  test('a merge stays merged, and faces of either side that arrive later join the merged person', async () => {
    const { owner, alice, bob, aliceFaces, bobFaces } = await aliceAndBob('merge', 5);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);
    await merge(owner, aliceId, bobId);

    const run = await service().clusterOwner(owner);
    assert.equal(run.personCount, 1);
    assert.equal(await commonPerson([...aliceFaces, ...bobFaces]), aliceId);
    assert.equal(await person(bobId), undefined);

    const [lateBob] = await addSolo(owner, bob, 1);
    assert.deepEqual(await service().assignPending(owner), { checked: 1, assigned: 1 });
    assert.equal(await personOf(lateBob), aliceId);

    const moreBob = await addSolo(owner, bob, 4);
    await service().clusterOwner(owner);
    assert.equal(await commonPerson([...aliceFaces, ...bobFaces, lateBob, ...moreBob]), aliceId);
    assert.equal(await personCount(owner), 1);
  });

  test('one face per person per photo: in a run, next to a user-placed face, and in incremental assignment', async () => {
    const { owner, alice, bob, aliceFaces, bobFaces } = await aliceAndBob('photo', 6);
    // A group photo with two faces that both look like Alice; the second is also close to Bob.
    const [groupAlice, groupLookalike] = await addPhoto(owner, [faceOf(alice), mix(faceOf(alice, 0.3), faceOf(bob, 0.3), 0.45)]);
    await service().clusterOwner(owner);
    await assertOneFacePerPhoto(owner);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);

    // The user confirms the group photo's Alice; the look-alike can never join her.
    await moveToPerson(groupAlice, aliceId);
    await service().clusterOwner(owner);
    await assertOneFacePerPhoto(owner);
    assert.equal(await personOf(groupAlice), aliceId);
    assert.ok([bobId, null].includes(await personOf(groupLookalike)), 'the weaker face goes to Bob or waits');

    // Two new faces of Alice in one new photo: only one may join her between runs.
    const twins = await addPhoto(owner, [faceOf(alice), faceOf(alice)]);
    const pass = await service().assignPending(owner);
    assert.equal(pass.checked, 2);
    assert.equal(pass.assigned, 1);
    assert.deepEqual((await personsOf(twins)).filter((id) => id === aliceId).length, 1);
    await assertOneFacePerPhoto(owner);
  });

  test('between runs, the better picture of a photo takes the person, whichever face was stored first', async () => {
    for (const qualities of [[0.3, 0.9], [0.9, 0.3]]) {
      const { owner, alice, aliceFaces } = await aliceAndBob('quality', 6);
      await service().clusterOwner(owner);
      const aliceId = await commonPerson(aliceFaces);
      const pair = await addPhoto(owner, [faceOf(alice), faceOf(alice)], qualities);
      const better = pair[qualities.indexOf(0.9)];
      assert.deepEqual(await service().assignPending(owner), { checked: 2, assigned: 1 });
      assert.equal(await personOf(better), aliceId, `qualities ${qualities}`);
      await assertOneFacePerPhoto(owner);
    }
  });

  test('the weaker face of a photo goes to its next-best person when its neighbours say so', async () => {
    const { owner, alice, bob, aliceFaces, bobFaces } = await aliceAndBob('nextbest', 6);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);
    const bobId = await commonPerson(bobFaces);
    // Both faces of this new photo are nearest to Alice's faces; the one the user placed
    // keeps her, and the other (close enough to Bob too) joins Bob instead of waiting.
    const [placed, other] = await addPhoto(owner, [faceOf(alice, 0.2), mix(alice, bob, 0.4)]);
    await moveToPerson(placed, aliceId);
    // A low bar, so that a face halfway between two people is alike enough to either.
    const config = testConfig({ CLUSTER_ASSIGN_MIN_SIMILARITY: '0.3', CLUSTER_LINKAGE_THRESHOLD: '0.3' });
    assert.deepEqual(await service(config).assignPending(owner), { checked: 1, assigned: 1 });
    assert.equal(await personOf(placed), aliceId);
    assert.equal(await personOf(other), bobId);
    await service(config).clusterOwner(owner);
    assert.equal(await personOf(placed), aliceId);
    assert.notEqual(await personOf(other), aliceId);
    await assertOneFacePerPhoto(owner);
  });

  test('incremental assignment: a new face joins the person of its nearest faces; a stranger waits for the next run', async () => {
    const owner = `incremental-${randomUUID()}`;
    const alice = randomUnit();
    const dave = randomUnit();
    const aliceFaces = await addSolo(owner, alice, 5);
    await addSolo(owner, randomUnit(), 5);
    await service().clusterOwner(owner);
    const aliceId = await commonPerson(aliceFaces);

    const [newAlice] = await addSolo(owner, alice, 1);
    const [stranger] = await addSolo(owner, dave, 1);
    assert.deepEqual(await service().assignPending(owner), { checked: 2, assigned: 1 });
    assert.equal(await personOf(newAlice), aliceId);
    assert.equal(await personOf(stranger), null);
    const placed = await database.pool.query('SELECT assigned_by, cluster_pending FROM faces WHERE id = ANY($1::uuid[]) ORDER BY id', [
      [newAlice, stranger],
    ]);
    assert.deepEqual(
      placed.rows.map((row) => row.cluster_pending),
      [false, false],
    );
    assert.ok(placed.rows.every((row) => row.assigned_by === 'cluster'));
    // Looked at once: a second pass has nothing to do.
    assert.deepEqual(await service().assignPending(owner), { checked: 0, assigned: 0 });

    const moreDave = await addSolo(owner, dave, 3);
    await service().clusterOwner(owner);
    const daveId = await commonPerson([stranger, ...moreDave]);
    assert.notEqual(daveId, aliceId);
    assert.equal(await commonPerson([...aliceFaces, newAlice]), aliceId);
  });

  test('kNN never returns another owner’s faces, even when that owner has many closer ones (exact scan and HNSW)', async () => {
    const small = `small-${randomUUID()}`;
    const big = `big-${randomUUID()}`;
    const alice = randomUnit();
    const smallFaces = await addSolo(small, alice, 4);
    const [query] = await addSolo(small, alice, 1);
    await repositories.forOwner(database.pool, small).persons.applyAssignments([{ personId: null, faceIds: smallFaces }]);
    // 300 faces of another owner, all nearer to the query than the small owner's own faces.
    const bigFaces: string[] = [];
    for (let i = 0; i < 300; i++) bigFaces.push(...(await addPhoto(big, [faceOf(alice, 0.05)])));
    await repositories.forOwner(database.pool, big).persons.applyAssignments([{ personId: null, faceIds: bigFaces }]);
    await database.pool.query('ANALYZE faces');

    const { faces } = repositories.forOwner(database.pool, small);
    const exact = await faces.nearestAssigned([query], { neighbours: 5, exact: true, iterativeScan: false });
    assert.deepEqual(exact.get(query)!.map((n) => n.faceId).sort(), [...smallFaces].sort());

    const viaIndex = async (iterativeScan: boolean) => {
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN');
        // Leave the planner only the HNSW index, as it would choose for a big owner in a big
        // table (rolled back below).
        await client.query('DROP INDEX faces_owner_person_idx, faces_owner_kind_idx, faces_owner_created_idx, faces_person_quality_idx');
        await client.query('ALTER TABLE face_embeddings DROP CONSTRAINT face_embeddings_pkey');
        await client.query('SET LOCAL enable_seqscan = off');
        await client.query("SELECT set_config('hnsw.ef_search', '40', true)");
        const { rows: [target] } = await client.query<{ embedding: string }>('SELECT embedding::text FROM face_embeddings WHERE face_id = $1', [query]);
        const plan = await client.query(
          `EXPLAIN SELECT f.id FROM face_embeddings e JOIN faces f ON f.id = e.face_id
           WHERE e.owner_id = $1 AND f.person_id IS NOT NULL AND f.kind = 'face'
           ORDER BY e.embedding <=> $2::vector LIMIT 15`,
          [small, target.embedding],
        );
        const usesHnsw = plan.rows.some((row) => String(row['QUERY PLAN']).includes('face_embeddings_hnsw_idx'));
        const found = await repositories.forOwner(client, small).faces.nearestAssigned([query], { neighbours: 5, exact: false, iterativeScan });
        return { usesHnsw, found: found.get(query)! };
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    };
    const withIterative = await viaIndex(true);
    assert.ok(withIterative.usesHnsw, 'the query under test runs on the HNSW index');
    assert.deepEqual(withIterative.found.map((n) => n.faceId).sort(), [...smallFaces].sort());
    assert.ok(withIterative.found.every((n) => smallFaces.includes(n.faceId)));
    const withoutIterative = await viaIndex(false);
    // Never another owner's face, whichever path; the plain index scan is what loses results.
    assert.ok(withoutIterative.found.every((n) => smallFaces.includes(n.faceId)));
    assert.ok(withoutIterative.found.length < smallFaces.length, 'without iterative scan HNSW loses the small owner');

    // And the incremental pass of the small owner assigns its new face from its own person only.
    const { rows } = await database.pool.query<{ person_id: string }>('SELECT person_id FROM faces WHERE id = $1', [smallFaces[0]]);
    await service(testConfig({ CLUSTER_KNN_EXACT_MAX_FACES: '0' })).assignPending(small);
    assert.equal(await personOf(query), rows[0].person_id);
  });
});

describe('clustering runs as jobs (PostgreSQL)', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  const repositories = new Repositories();
  const queue = (db: Queryable) => repositories.acrossOwners(db).runs;

  before(async () => {
    testDatabase = await createTestDatabase('cluster_jobs');
    database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 4 });
    await runMigrations(database.pool);
  });
  after(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  test('one queued run per owner; one running run per owner; owners never wait for each other', async () => {
    const pool = database.pool;
    const holder = await database.claims.holderKey();
    const first = await repositories.forOwner(pool, 'anna').runs.enqueue('user');
    const again = await repositories.forOwner(pool, 'anna').runs.enqueue('schedule');
    assert.equal(again.id, first.id);
    assert.equal(again.status, 'queued');

    const claimed = await queue(pool).claim('worker-1', holder, 60);
    assert.equal(claimed?.id, first.id);
    assert.equal(claimed?.status, 'running');
    // Anna asks again while her run is running: a new run waits until the first finished.
    const next = await repositories.forOwner(pool, 'anna').runs.enqueue('user');
    assert.notEqual(next.id, first.id);
    const bens = await repositories.forOwner(pool, 'ben').runs.enqueue('user');
    const other = await queue(pool).claim('worker-2', holder, 60);
    assert.equal(other?.id, bens.id, "ben's run is taken while anna's runs");
    assert.equal(await queue(pool).claim('worker-2', holder, 60), undefined);

    await repositories.forOwner(pool, 'anna').runs.finish(first.id, { faceCount: 3, personCount: 1, noiseCount: 1 });
    assert.equal((await queue(pool).claim('worker-2', holder, 60))?.id, next.id);
    assert.equal(await repositories.forOwner(pool, 'ben').runs.get(first.id), undefined, "another owner's run is not visible");
  });

  test('a run whose clusterer died is queued again at once, long before its lease, so the owner runs again', async () => {
    const pool = database.pool;
    const holder = await database.claims.holderKey();
    const dying = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 1 });
    const queued = await repositories.forOwner(pool, 'carl').runs.enqueue('user');
    await queue(dying.pool).claim('dying', await dying.claims.holderKey(), 900, queued.id);
    assert.equal(await queue(pool).requeueLost(), 0, 'its clusterer is alive: the run stays');
    assert.equal(await queue(pool).claim('alive', holder, 900), undefined, "carl's run is running");

    await dying.close(); // the process ends: its session and liveness lock go, the run stays 'running'
    const deadline = Date.now() + 5000;
    let lost = 0;
    while (lost === 0 && Date.now() < deadline) lost = await queue(pool).requeueLost();
    assert.equal(lost, 1);
    const given = await repositories.forOwner(pool, 'carl').runs.get(queued.id);
    assert.equal(given?.status, 'failed');
    assert.match(given?.error ?? '', /clusterer stopped/);
    const again = await queue(pool).claim('alive', holder, 900);
    assert.ok(again && again.id !== queued.id, 'a new run was queued for carl and is taken now');
    assert.equal(again.requestedBy, 'user', 'as the lost run was asked for');

    // A run whose clusterer is alive but stuck is still given up when its lease runs out.
    await pool.query(`UPDATE clustering_runs SET claimed_until = now() - interval '1 second' WHERE id = $1`, [again.id]);
    assert.equal(await queue(pool).requeueLost(), 1);
  });

  test('a library change is never dated back by a store that began earlier and committed later (two workers, one owner)', async () => {
    const pool = database.pool;
    const owner = `two-workers-${randomUUID()}`;
    const changedAt = async () =>
      (await pool.query<{ changed_at: Date }>('SELECT changed_at FROM library_changes WHERE owner_id = $1', [owner])).rows[0].changed_at;
    await repositories.forOwner(pool, owner).runs.markLibraryChanged();
    const earlier = await pool.connect();
    const later = await pool.connect();
    try {
      // Worker A's store transaction begins first; worker B's begins, marks the change and
      // commits; then A marks it (waiting on B's row lock until B committed) and commits.
      await earlier.query('BEGIN');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await later.query('BEGIN');
      await repositories.forOwner(later, owner).runs.markLibraryChanged();
      const markedEarlier = repositories.forOwner(earlier, owner).runs.markLibraryChanged();
      await later.query('COMMIT');
      const byLater = await changedAt();
      await markedEarlier;
      await earlier.query('COMMIT');
      assert.ok((await changedAt()) >= byLater, 'changed_at did not move back');
      const run = await repositories.forOwner(pool, owner).runs.enqueue('schedule');
      await queue(pool).claim('w', await database.claims.holderKey(), 60, run.id);
      await repositories.forOwner(pool, owner).runs.finish(run.id, { faceCount: 0, personCount: 0, noiseCount: 0 });
      assert.ok(!(await queue(pool).ownersNeedingRun()).includes(owner), 'nothing changed since the run');
      await repositories.forOwner(pool, owner).runs.markLibraryChanged();
      assert.ok((await queue(pool).ownersNeedingRun()).includes(owner), 'a change after the run needs the next one');
    } finally {
      earlier.release();
      later.release();
    }
  });

  test('the schedule queues a changed library when enough new faces arrived, or when its last run is old enough', async () => {
    const pool = database.pool;
    const schedule = { minNewFaces: 3, minNewFraction: 0, maxDelaySeconds: 3600 };
    const owner = `sched-${randomUUID()}`;
    const addFaces = async (count: number) => {
      const photo = await pool.query<{ id: string }>(
        `INSERT INTO photos (owner_id, sha256, byte_size, content_type, status) VALUES ($1, $2, 1, 'image/jpeg', 'done') RETURNING id`,
        [owner, randomBytes(32).toString('hex')],
      );
      await repositories.forOwner(pool, owner).faces.replaceForPhoto(photo.rows[0].id, Array.from({ length: count }, () => testFace(randomUnit())));
      await repositories.forOwner(pool, owner).runs.markLibraryChanged();
    };
    const due = async () => (await queue(pool).ownersDueForRun(schedule)).includes(owner);

    await addFaces(1);
    assert.ok(await due(), 'a library never clustered is due at once');
    const run = await repositories.forOwner(pool, owner).runs.enqueue('schedule');
    assert.ok(!(await due()), 'not while a run is queued');
    await queue(pool).claim('w', await database.claims.holderKey(), 60, run.id);
    await repositories.forOwner(pool, owner).runs.finish(run.id, { faceCount: 1, personCount: 0, noiseCount: 1 });
    assert.ok(!(await due()));
    await addFaces(2);
    assert.ok(!(await due()), '2 new faces are fewer than 3');
    await addFaces(1);
    assert.ok(await due(), '3 new faces');
    assert.ok(!(await queue(pool).ownersDueForRun({ ...schedule, minNewFraction: 4 })).includes(owner), 'fewer than 4× the last run');
    assert.ok((await queue(pool).ownersDueForRun({ minNewFaces: 100, minNewFraction: 0, maxDelaySeconds: 0 })).includes(owner));
  });
});
