import { loadConfig } from '@facecloud/config';
import { openDatabaseFromConfig } from './storage.module';
import { runMigrations } from './migrate';

/** `npm run migrate`: apply pending migrations to the configured database and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabaseFromConfig(config);
  try {
    const applied = await runMigrations(database.pool, (line) => console.log(line));
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
