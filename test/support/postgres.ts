/**
 * Per-test databases on the PostgreSQL server of the test run. `npm test`
 * starts a throwaway cluster and passes its superuser URL in TEST_DATABASE_URL;
 * each test file creates its own database(s) there, so files never share state.
 */
import { createScratchDatabase, type ScratchDatabase } from '../../tools/support/scratch-database';

export type TestDatabase = ScratchDatabase;

/** Superuser URL of the test server, or a clear error when tests were not started by `npm test`. */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'TEST_DATABASE_URL is not set: run tests with `npm test`, which starts a throwaway PostgreSQL ' +
        '(or set TEST_DATABASE_URL to a PostgreSQL server with pgvector where databases can be created).',
    );
  }
  return url;
}

/** Creates an empty database with the pgvector extension on the test server. */
export function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  return createScratchDatabase(prefix, testServerUrl());
}
