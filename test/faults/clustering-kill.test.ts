import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { runMigrations } from '@facecloud/storage';
import { startService, type RunningService } from '../../tools/support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { insertSyntheticLibrary, longTailedSizes } from '../../tools/support/synthetic-library';

/**
 * A clustering run killed midway (SIGKILL of the clusterer process) leaves the previous
 * person state intact, whether it dies while computing or while its write transaction is
 * open, and the restarted clusterer queues the lost run again and runs it at once (not after
 * CLUSTER_RUN_LEASE_SECONDS). Long-running: only `npm run test:faults` runs it.
 */

const owner = 'big-library';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PersonState {
  persons: Array<{ id: string; name: string | null }>;
  /** face id → person id (null: unassigned), every face of the owner. */
  faces: Map<string, string | null>;
}

describe('clustering run killed midway (clusterer process, PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dataDir: string;
  let env: Record<string, string>;
  let clusterer: RunningService | undefined;

  /**
   * The owner's persons and where faces are. `only`: just these faces, those of the previous
   * run (faces added since may be placed into existing persons outside of a run).
   */
  const personState = async (only?: PersonState): Promise<PersonState> => {
    const persons = await pool.query<{ id: string; name: string | null }>(
      'SELECT id, name FROM persons WHERE owner_id = $1 ORDER BY id',
      [owner],
    );
    const faces = await pool.query<{ id: string; person_id: string | null }>('SELECT id, person_id FROM faces WHERE owner_id = $1', [owner]);
    const all = new Map(faces.rows.map((row) => [row.id, row.person_id]));
    return { persons: persons.rows, faces: only ? new Map([...only.faces.keys()].map((id) => [id, all.get(id) ?? null])) : all };
  };

  const runs = async () =>
    (
      await pool.query<{ id: string; status: string }>('SELECT id, status FROM clustering_runs WHERE owner_id = $1 ORDER BY started_at', [
        owner,
      ])
    ).rows;

  const startClusterer = async () => {
    clusterer = await startService('clusterer', { ...env, MIGRATE_ON_START: 'false' });
  };

  const waitForRun = async (status: 'running' | 'done', known: number, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = await runs();
      if (all.slice(known).some((run) => run.status === status)) return;
      assert.ok(Date.now() < deadline, `no ${status} run in time: ${JSON.stringify(all)}\n${clusterer?.logs.slice(-10).join('\n')}`);
      await sleep(5);
    }
  };

  /**
   * A backend (the clusterer's: nothing else uses the database) inside a multi-statement
   * transaction that has written (it has a transaction id and its current statement began
   * after the transaction did) while a run is in progress.
   */
  const clustererWriting = async (): Promise<boolean> => {
    const { rows } = await pool.query(
      `SELECT 1 FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
         AND query_start > xact_start
         AND EXISTS (SELECT 1 FROM clustering_runs WHERE owner_id = $1 AND status = 'running')`,
      [owner],
    );
    return rows.length > 0;
  };

  const changeLibrary = async (seed: number) => {
    // New faces (and a new identity) make the next run compute and write a different result.
    await insertSyntheticLibrary(pool, { ownerId: owner, facesPerIdentity: longTailedSizes(400, 40, 2), withPersons: false, seed });
  };

  before(async () => {
    database = await createTestDatabase('clustering_kill');
    pool = new Pool({ connectionString: database.url, max: 3 });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-clustering-kill-'));
    // Run as soon as anything changed, so that every change below starts a run.
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      CLUSTER_INTERVAL_SECONDS: '1',
      CLUSTER_POLL_INTERVAL_MS: '100',
      CLUSTER_RUN_MIN_NEW_FACES: '1',
      CLUSTER_RUN_MIN_NEW_FRACTION: '0',
      // The default lease (900 s): a killed clusterer's run is taken over by the restarted one at
      // once (its liveness lock is gone), not when the lease runs out.
    };
    await runMigrations(pool);
    // The first run clusters the initial library: the state to keep.
    await startClusterer();
    await insertSyntheticLibrary(pool, { ownerId: owner, facesPerIdentity: longTailedSizes(3000, 300, 2), withPersons: false, seed: 1 });
    await waitForRun('done', 0);
    await clusterer!.stop();
  });

  after(async () => {
    await clusterer?.kill();
    await pool?.end();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('killed while computing: persons unchanged', async () => {
    const before = await personState();
    assert.ok(before.persons.length >= 100, `the first run made persons (${before.persons.length})`);
    await changeLibrary(2);
    const known = (await runs()).length;
    await startClusterer();
    await waitForRun('running', known);
    await clusterer!.kill();
    const runsAfter = await runs();
    assert.ok(!runsAfter.slice(known).some((run) => run.status === 'done'), 'killed before the run finished');
    assert.deepEqual(await personState(before), before, 'persons and face assignments as before the run');
  });

  test('killed inside its write transaction: persons unchanged; the next run succeeds', async () => {
    const before = await personState();
    let caughtWriting = false;
    // The write transaction is short: try a few runs until a kill lands inside one.
    for (let attempt = 0; attempt < 5 && !caughtWriting; attempt++) {
      await changeLibrary(10 + attempt);
      const known = (await runs()).length;
      await startClusterer();
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        if (await clustererWriting()) {
          await clusterer!.kill();
          caughtWriting = true;
          break;
        }
        if ((await runs()).slice(known).some((run) => run.status === 'done')) break; // missed it
      }
      if (!caughtWriting) {
        // The run committed: that is the new state to keep.
        await clusterer!.stop();
        const committed = await personState();
        before.persons = committed.persons;
        before.faces = committed.faces;
      }
    }
    assert.ok(caughtWriting, 'a kill landed inside the write transaction');
    assert.deepEqual(await personState(before), before, 'the transaction was rolled back: persons and assignments as before');

    const known = (await runs()).length;
    const restartedAt = Date.now();
    await startClusterer();
    const readyMs = Date.now() - restartedAt;
    await waitForRun('done', known);
    const doneMs = Date.now() - restartedAt;
    await clusterer!.stop();
    console.log(
      `clusterer restarted after SIGKILL: ready in ${(readyMs / 1000).toFixed(1)} s, the lost run queued again and done ` +
        `${(doneMs / 1000).toFixed(1)} s after the restart (lease ${900} s)`,
    );
    const afterRun = await personState();
    const assigned = [...afterRun.faces.values()].filter((person) => person !== null).length;
    assert.ok(afterRun.persons.length >= before.persons.length, `the next run succeeded (${afterRun.persons.length} persons)`);
    assert.ok(assigned > afterRun.faces.size / 2, `most faces are assigned (${assigned}/${afterRun.faces.size})`);
    const stale = (await runs()).filter((run) => run.status === 'running').length;
    assert.equal(stale, 0, "no run left 'running' by the kills");
  });
});
