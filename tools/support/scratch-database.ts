/**
 * Scratch databases on a PostgreSQL server with pgvector: each test file or benchmark creates
 * its own database, so runs never share state, and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';

export interface ScratchDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, disconnecting any remaining sessions; safe to call more than once. */
  drop(): Promise<void>;
}

/** Unique, valid database name: lower-case prefix + pid + random suffix, at most 63 bytes. */
function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40) || 'test';
  return `${clean}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with the pgvector extension on the server at `serverUrl` (a superuser URL). */
export async function createScratchDatabase(prefix: string, serverUrl: string): Promise<ScratchDatabase> {
  const name = uniqueName(prefix);
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${escapeIdentifier(name)}`));
  const url = withDatabase(serverUrl, name);

  let dropping: Promise<void> | undefined;
  const drop = (): Promise<void> =>
    (dropping ??= withClient(serverUrl, async (admin) => {
      // FORCE: a run that failed half-way may have left pools connected.
      await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    }));

  try {
    await withClient(url, (client) => client.query('CREATE EXTENSION IF NOT EXISTS vector'));
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, name, drop };
}
