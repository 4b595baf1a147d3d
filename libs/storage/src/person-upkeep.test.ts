import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openDatabase, withTransaction, type Database } from './database';
import { runMigrations } from './migrate';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres';

/**
 * The person rules the database keeps (migration 0010), written here in plain SQL as any
 * writer might: a person without faces does not exist, and a chosen cover is one of the
 * person's faces. Both engines.
 */
const engines: Array<{ name: string; open: () => Promise<{ database: Database; cleanup?: () => Promise<void> }> }> = [
  { name: 'embedded PGlite', open: async () => ({ database: await openDatabase({ embeddedDir: 'memory://', poolMax: 1 }) }) },
  {
    name: 'PostgreSQL with pgvector',
    open: async () => {
      const testDatabase: TestDatabase = await createTestDatabase('person_upkeep');
      const database = await openDatabase({ url: testDatabase.url, embeddedDir: '', poolMax: 2 });
      return { database, cleanup: () => testDatabase.drop() };
    },
  },
];

for (const engine of engines) describe(`person upkeep in the database (${engine.name})`, () => {
  let database: Database;
  let cleanup: (() => Promise<void>) | undefined;
  const owner = `owner-${randomUUID()}`;

  before(async () => {
    ({ database, cleanup } = await engine.open());
    await runMigrations(database.pool);
  });
  after(async () => {
    await database.close();
    await cleanup?.();
  });

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

  test('a person whose last face leaves (unassigned, moved, or deleted with its photo) is gone at commit', async () => {
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

  test('within one transaction a person may be emptied and given faces again', async () => {
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
