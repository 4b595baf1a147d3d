import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { isDatabaseUnavailable } from './database';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a refused connection, a server shutting down or a cut connection is "unavailable"; a bad statement is not', async () => {
  const client = new Client({ host: '127.0.0.1', port: await closedPort(), user: 'nobody', connectionTimeoutMillis: 2000 });
  const refused = await client.connect().then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof Error);
  assert.equal(isDatabaseUnavailable(refused), true, String(refused));
  const withCode = (code: string) => Object.assign(new Error('server said no'), { code });
  assert.equal(isDatabaseUnavailable(withCode('57P01')), true, 'admin_shutdown');
  assert.equal(isDatabaseUnavailable(withCode('57P03')), true, 'cannot_connect_now');
  assert.equal(isDatabaseUnavailable(withCode('08006')), true, 'connection_failure');
  assert.equal(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isDatabaseUnavailable(withCode('42601')), false, 'syntax error');
  assert.equal(isDatabaseUnavailable(withCode('23505')), false, 'unique violation');
  assert.equal(isDatabaseUnavailable('ECONNREFUSED'), false, 'not an Error');
});
