import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { startService, type RunningService } from '../../tools/support/service-process';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { repoRoot } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * Authentication of the API process against PostgreSQL: the first user printed once, API
 * tokens, browser login with an HttpOnly session cookie, logout, login rate limiting, the
 * admin CLI's users and tokens, and what is stored (hashes only).
 */

const runFile = promisify(execFile);

/** AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS of the process under test. */
const ADDRESS_LIMIT = 12;

/** How many answers had each status, e.g. { 401: 3, 429: 97 }. */
function statusCounts(answers: Array<{ status: number }>): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { message?: unknown; user?: { id: string } | null; via?: string; statusCode?: number };
}

describe('authentication (api process, PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dataDir: string;
  let api: RunningService;
  let env: Record<string, string>;
  const firstUser = { password: '', token: '' };

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(`${api.baseUrl}${path}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
  };
  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    call('/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ username, password }),
    });
  const admin = (args: string[]) =>
    runFile(process.execPath, [resolve(repoRoot, 'dist/apps/admin/src/main.js'), ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    });

  before(async () => {
    database = await createTestDatabase('auth');
    pool = new Pool({ connectionString: database.url, max: 2 });
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-auth-'));
    env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      AUTH_LOGIN_MAX_FAILURES: '3',
      AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT),
      // The test is the proxy: it names the client address in X-Forwarded-For, one per scenario.
      TRUST_PROXY: 'loopback',
      // One check at a time and a short queue, so that the flood below surely overflows it.
      AUTH_PASSWORD_CHECK_CONCURRENCY: '1',
      AUTH_PASSWORD_CHECK_QUEUE: String(ADDRESS_LIMIT + 4),
      KAFKA_BROKERS: '',
    };
    api = await startService('api', env);
  });
  after(async () => {
    await api?.stop();
    await pool?.end();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('first start: user "local" is created and its password and token are printed once', async () => {
    const lines = api.logs.filter((line) => line.includes('first start: created user'));
    // One JSON log line and one plain line on stderr, the same credentials in both.
    assert.equal(lines.length, 2, api.logs.join('\n'));
    const [match, again] = lines.map((line) => /password (\S+) and API token (fct_[\w-]+)/.exec(line)!);
    assert.deepEqual(match.slice(1), again.slice(1));
    [firstUser.password, firstUser.token] = [match[1], match[2]];
    const me = await call('/auth/me', { headers: { Authorization: `Bearer ${firstUser.token}` } });
    assert.deepEqual([me.status, me.body.user], [200, { id: 'local' }]);

    await api.stop();
    api = await startService('api', env);
    assert.equal(api.logs.filter((line) => line.includes('first start')).length, 0, 'a restart prints no credentials');
  });

  test('without credentials every API route answers 401 JSON; health, metrics and docs are public', async () => {
    for (const [method, path] of [
      ['GET', '/photos'],
      ['POST', '/photos'],
      ['GET', '/people'],
      ['GET', '/queue'],
      ['POST', '/clustering/run'],
      ['GET', '/auth/me'],
      ['GET', `/faces/${crypto.randomUUID()}/thumbnail`],
    ]) {
      const answer = await call(path, { method });
      assert.equal(answer.status, 401, `${method} ${path}`);
      assert.equal(answer.body.statusCode, 401);
      assert.match(String(answer.body.message), /authentication required/);
    }
    for (const path of ['/health', '/health/live', '/metrics', '/docs-json']) {
      assert.equal((await fetch(`${api.baseUrl}${path}`)).status, 200, path);
    }
  });

  test('bad, unknown and malformed credentials are refused with 401', async () => {
    for (const authorization of [
      'Bearer fct_not-a-real-token',
      `Bearer ${firstUser.token}x`,
      `Basic ${Buffer.from(`local:${firstUser.password}`).toString('base64')}`,
      `Bearer ${'a'.repeat(5000)}`,
      'Bearer',
      firstUser.token,
    ]) {
      const answer = await call('/photos', { headers: { Authorization: authorization } });
      assert.equal(answer.status, 401, authorization.slice(0, 40));
    }
    // A session cookie with a token's shape but no session behind it.
    assert.equal((await call('/photos', { headers: { Cookie: 'facecloud_session=fct_nothing' } })).status, 401);
  });

  test('browser login sets an HttpOnly SameSite=Strict cookie that then authenticates; logout ends it', async () => {
    const wrong = await login('local', 'not-the-password');
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.body.message), /wrong username or password/);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal((await login('nobody', 'whatever')).status, 401, 'an unknown user answers like a wrong password');

    const ok = await login('local', firstUser.password);
    assert.deepEqual([ok.status, ok.body.user], [200, { id: 'local' }]);
    const setCookie = ok.headers.get('set-cookie')!;
    assert.match(setCookie, /^facecloud_session=fct_[\w-]+;/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\//);
    const cookie = setCookie.split(';')[0];

    const me = await call('/auth/me', { headers: { Cookie: cookie } });
    assert.deepEqual([me.status, me.body.user, me.body.via], [200, { id: 'local' }, 'session']);
    assert.equal((await call('/photos', { headers: { Cookie: cookie } })).status, 200);
    // A write carrying the cookie from another site's page is refused.
    const crossSite = await call('/clustering/run', { method: 'POST', headers: { Cookie: cookie, Origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);

    const out = await call('/auth/logout', { method: 'POST', headers: { Cookie: cookie } });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie')!, /facecloud_session=;.*Expires=Thu, 01 Jan 1970/);
    assert.equal((await call('/auth/me', { headers: { Cookie: cookie } })).status, 401, 'the old cookie is dead');
  });

  test('failed logins are rate limited per user name and address (429 with Retry-After)', async () => {
    await provisionUsers({ pool }, ['throttled']);
    const { stdout } = await admin(['user', 'reset-password', 'throttled']);
    const password = /new password of throttled: (\S+)/.exec(stdout)![1];
    for (let i = 0; i < 3; i++) assert.equal((await login('throttled', 'wrong')).status, 401);
    const limited = await login('throttled', password);
    assert.equal(limited.status, 429, 'even the right password waits');
    assert.match(String(limited.body.message), /too many failed logins/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Another user from the same address is not affected.
    assert.equal((await login('local', firstUser.password)).status, 200);
  });

  test('parallel wrong guesses for one user: only AUTH_LOGIN_MAX_FAILURES are checked, then even the right password waits', async () => {
    await provisionUsers({ pool }, ['guessed-in-parallel']);
    const { stdout } = await admin(['user', 'reset-password', 'guessed-in-parallel']);
    const password = /new password of guessed-in-parallel: (\S+)/.exec(stdout)![1];
    const from = { 'X-Forwarded-For': '203.0.113.10' };
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => login('guessed-in-parallel', `wrong-${i}`, from)),
    );
    // 401 = the password was checked and wrong; 429 = refused before any check.
    assert.deepEqual(statusCounts(answers), { 401: 3, 429: 97 });
    const locked = await login('guessed-in-parallel', password, from);
    assert.equal(locked.status, 429, 'the right password is refused while the name is locked');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
  });

  test('per client address: distinct unknown names count together, parallel or not', async () => {
    const from = { 'X-Forwarded-For': '203.0.113.20' };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(`nobody-${i}`, 'whatever', from)));
    assert.deepEqual(statusCounts(answers), { 401: ADDRESS_LIMIT, 429: 40 - ADDRESS_LIMIT });
    const limited = await login('local', firstUser.password, from);
    assert.equal(limited.status, 429, 'that address is refused even for a real user');
    assert.match(String(limited.body.message), /too many failed logins from this address/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Other addresses are not affected, and the address comes from the trusted proxy's header.
    assert.equal((await login('local', firstUser.password, { 'X-Forwarded-For': '203.0.113.21' })).status, 200);
  });

  test('password checks run a few at a time: a flood beyond the queue answers 503 with Retry-After, nothing else', async () => {
    // Distinct names from distinct addresses: no throttle applies, only the bound on hashing.
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        login(`flood-${i}`, 'whatever', { 'X-Forwarded-For': `198.51.100.${i}` }),
      ),
    );
    const counts = statusCounts(answers);
    assert.deepEqual(Object.keys(counts).sort(), ['401', '503'], JSON.stringify(counts));
    const busy = answers.find((answer) => answer.status === 503)!;
    assert.match(String(busy.body.message), /too many logins in progress/);
    assert.ok(Number(busy.headers.get('retry-after')) > 0);
    assert.equal((await login('local', firstUser.password)).status, 200, 'logins work again once the flood is through');
  });

  test('admin CLI: user create prints a password and token that work; token create/revoke', async () => {
    const created = await admin(['user', 'create', 'cli-user']);
    const password = /password: (\S+)/.exec(created.stdout)![1];
    const token = /token: +(fct_\S+)/.exec(created.stdout)![1];
    assert.equal((await call('/auth/me', { headers: { Authorization: `Bearer ${token}` } })).body.user?.id, 'cli-user');
    assert.equal((await login('cli-user', password)).status, 200);
    await assert.rejects(admin(['user', 'create', 'cli-user']), /exists already/);
    await assert.rejects(admin(['user', 'create', '../etc']), /invalid user id/);

    const second = await admin(['token', 'create', 'cli-user', '--name', 'laptop']);
    const [, secondToken, secondId] = /(fct_\S+) +\(id ([0-9a-f-]{36})/.exec(second.stdout)!;
    assert.equal((await call('/photos', { headers: { Authorization: `Bearer ${secondToken}` } })).status, 200);
    const listed = await admin(['token', 'list', '--user', 'cli-user']);
    assert.match(listed.stdout, new RegExp(`${secondId}\\tcli-user\\tapi\\tlaptop`));
    assert.doesNotMatch(listed.stdout, /fct_/, 'token values are never listed');
    const revoked = await admin(['token', 'revoke', secondId]);
    assert.match(revoked.stdout, /revoked token/);
    assert.equal((await call('/photos', { headers: { Authorization: `Bearer ${secondToken}` } })).status, 401);
    assert.equal((await call('/photos', { headers: { Authorization: `Bearer ${token}` } })).status, 200, 'the other token still works');
    await assert.rejects(admin(['token', 'create', 'no-such-user']), /no user "no-such-user"/);
  });

  test('only hashes are stored: SHA-256 of tokens, scrypt of passwords', async () => {
    const sha = createHash('sha256').update(firstUser.token).digest('hex');
    const tokens = await pool.query<{ token_sha256: string }>('SELECT token_sha256 FROM api_tokens');
    assert.ok(tokens.rows.some((row) => row.token_sha256 === sha));
    const dump = JSON.stringify((await pool.query('SELECT * FROM api_tokens')).rows) + JSON.stringify((await pool.query('SELECT * FROM users')).rows);
    assert.ok(!dump.includes(firstUser.token) && !dump.includes(firstUser.password), 'no secret in the database');
    const local = await pool.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = 'local'`);
    assert.match(local.rows[0].password_hash, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  });

  test('asUser tokens from the test harness act as their user and nobody else', async () => {
    await provisionUsers({ pool }, ['harness-a', 'harness-b']);
    const a = await call('/auth/me', { headers: asUser('harness-a') });
    const b = await call('/auth/me', { headers: asUser('harness-b') });
    assert.deepEqual([a.body.user?.id, b.body.user?.id, a.body.via], ['harness-a', 'harness-b', 'token']);
  });
});
