import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, withTransaction, type Database } from './database';
import { statementName } from './prepared-statement-client';

let database: Database;
before(async () => {
  database = await openDatabase({ embeddedDir: 'memory://', poolMax: 1 });
});
after(() => database.close());

async function preparedStatements(): Promise<string[]> {
  const result = await database.pool.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement');
  return result.rows.map((row) => row.statement);
}

test('a statement with parameters is prepared once per connection and reused, by text or by config', async () => {
  const text = 'SELECT $1::int + 1 AS next';
  for (const value of [1, 2, 3]) {
    assert.equal((await database.pool.query<{ next: number }>(text, [value])).rows[0].next, value + 1);
    assert.equal((await database.pool.query<{ next: number }>({ text, values: [value] })).rows[0].next, value + 1);
  }
  await withTransaction(database.pool, (client) => client.query(text, [7]));
  assert.deepEqual((await preparedStatements()).filter((statement) => statement === text), [text]);
  assert.match(statementName(text), /^fc_[0-9a-f]{40}$/);
});

test('statements without parameters are not prepared, so scripts of several statements still run', async () => {
  await database.pool.query('CREATE TEMP TABLE scratch (n int); INSERT INTO scratch VALUES (1), (2);');
  assert.equal((await database.pool.query('SELECT count(*)::int AS n FROM scratch')).rows[0].n, 2);
  assert.ok(!(await preparedStatements()).some((statement) => statement.includes('scratch')));
});

test('a name chosen by the caller is kept', async () => {
  await database.pool.query({ name: 'caller_named', text: 'SELECT $1::text AS word', values: ['hi'] });
  const result = await database.pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name = 'caller_named'");
  assert.equal(result.rows.length, 1);
});
