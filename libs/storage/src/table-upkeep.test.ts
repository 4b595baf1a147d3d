import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from './database';
import { runMigrations } from './migrate';
import { TableUpkeep, type TableUpkeepAction } from './table-upkeep';

let database: Database;
let upkeep: TableUpkeep;
const done: TableUpkeepAction[] = [];

before(async () => {
  database = await openDatabase({ embeddedDir: 'memory://', poolMax: 1 });
  await runMigrations(database.pool, () => {});
  upkeep = new TableUpkeep(database.pool, (action) => done.push(action));
});
after(() => database.close());

const query = (text: string) => database.pool.query(text);

async function addPhotosWithAFaceEach(owner: string, count: number): Promise<void> {
  await query(`INSERT INTO users (id) VALUES ('${owner}')`);
  await query(`INSERT INTO photos (owner_id, sha256, byte_size, content_type)
    SELECT '${owner}', lpad(g::text, 64, '0'), 1, 'image/jpeg' FROM generate_series(1, ${count}) g`);
  await query(`INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks,
      detection_score, embedding_model, thumbnail_jpeg, kind, quality, sharpness, trash_similarity)
    SELECT owner_id, id, 0, 0, 0, 10, 10, array_fill(0::real, ARRAY[10]), 0.9, 'test', '\\x00'::bytea, 'face', 0.5, 1, 0
    FROM photos WHERE owner_id = '${owner}'`);
}

/** The plan PostgreSQL keeps for a prepared statement after a few runs (a generic plan). */
async function genericPlan(sql: string, parameters: string): Promise<string> {
  const client = await database.pool.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE upkeep_probe AS ${sql}`);
    const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE upkeep_probe(${parameters})`);
    return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('DEALLOCATE upkeep_probe');
    await client.query('RESET plan_cache_mode');
    client.release();
  }
}

test('tables changed past the autovacuum thresholds are analyzed, and owner-scoped face lookups then use the photo index', async () => {
  await addPhotosWithAFaceEach('alice', 400);
  const photoId = (await query("SELECT id FROM photos WHERE owner_id = 'alice' LIMIT 1")).rows[0].id as string;
  const deleteFacesOfPhoto = 'DELETE FROM faces WHERE owner_id = $1 AND photo_id = $2';

  const actions = await upkeep.runOnce();
  const analyzed = new Set(actions.map((action) => action.table));
  for (const table of ['photos', 'faces']) assert.ok(analyzed.has(table), `${table} analyzed: ${JSON.stringify(actions)}`);
  assert.deepEqual(done, actions, 'each action is reported');

  const stats = await query("SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname IN ('photos', 'faces')");
  assert.ok(stats.rows.every((row) => row.last_analyze !== null));
  const plan = await genericPlan(deleteFacesOfPhoto, `'alice', '${photoId}'`);
  assert.match(plan, /Index Scan using faces_photo_index_key/);
  assert.doesNotMatch(plan, /faces_owner_/, 'the owner-wide indexes are not walked for one photo');

  assert.deepEqual(await upkeep.runOnce(), [], 'nothing is due right after');
});

test('a table with many dead rows is vacuumed, which reclaims them', async () => {
  await query("DELETE FROM photos WHERE owner_id = 'alice' AND sha256 > lpad('100', 64, '0')");
  const actions = await upkeep.runOnce();
  assert.ok(actions.some((action) => action.table === 'photos' && action.action === 'vacuum analyze'), JSON.stringify(actions));
  await query('SELECT pg_stat_force_next_flush()');
  const dead = await query("SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'photos'");
  assert.equal(dead.rows[0].dead, 0);
});

test('the embedded database runs the upkeep on its own timer', async () => {
  const other = await openDatabase({ embeddedDir: 'memory://', poolMax: 1, tableUpkeepIntervalMs: 100 });
  try {
    await other.pool.query('CREATE TABLE numbers (n int)');
    await other.pool.query('INSERT INTO numbers SELECT generate_series(1, 100)');
    const analyzed = async () =>
      (await other.pool.query("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'numbers'")).rows[0].last_analyze !== null;
    const deadline = Date.now() + 5000;
    while (!(await analyzed()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(await analyzed(), 'analyzed within 5 s');
  } finally {
    await other.close();
  }
});
