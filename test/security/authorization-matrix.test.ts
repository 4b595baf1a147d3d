import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapHttp } from '@facecloud/platform';
import { AllInOneModule } from '../../apps/all-in-one/src/all-in-one.module';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { fixturesDir } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/**
 * Authorization matrix: every route of the running app (read from its router, so routes
 * added later are covered without touching this file), called without credentials, and by
 * user B with each of user A's ids (photo, face, person, merge, clustering run), a random
 * uuid and a malformed id. B must never get a 2xx on A's objects nor see any of A's ids or
 * names; collection routes answer B with B's data only; nothing of A changes.
 * A's library is real: photos uploaded over HTTP, processed by the models, clustered.
 */

const A = 'matrix-alice';
const B = 'matrix-bob';
const SECRET_NAME = 'Alice Secret Person';

/** Routes callable without credentials. Anything else answering without them fails the test. */
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /auth/login',
  'POST /auth/logout',
]);

/** Methods an API route may serve (a route registered for all methods is listed under each). */
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Static pages served beside the API: API docs and the admin UI's files (its data comes from the API). */
const isStaticPublic = (path: string) => /^\/(docs|admin)([/-]|$)/.test(path);

interface Route {
  method: string;
  path: string;
}

/** The routes Express serves for the Nest app (Express 5: app.router.stack). */
function routesOf(app: INestApplication): Route[] {
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  const routes: Route[] = [];
  for (const layer of express.router.stack) {
    // Middleware mounted for every path (cookie parsing, request logging) is not an endpoint.
    if (!layer.route || /^\/(\{\*\w+\}|\*\w+)$/.test(layer.route.path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && HTTP_METHODS.has(method)) routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}

/** A body that would be valid for B's own object, so a refusal is about ownership, not shape. */
function bodyFor(route: Route, own: { person: string; face: string }): unknown {
  if (route.method === 'GET' || route.method === 'DELETE') return undefined;
  if (route.path.endsWith('/merge')) return { personIds: [own.person] };
  if (route.path.endsWith('/move')) return { personId: own.person };
  if (route.method === 'PATCH' && route.path.startsWith('/people')) return { name: 'renamed by B', coverFaceId: own.face };
  return {};
}

describe('authorization matrix (all-in-one app, PostgreSQL, real photos)', () => {
  let database: TestDatabase;
  let dataDir: string;
  let app: INestApplication;
  let baseUrl: string;
  const idsOfA: Record<string, string> = {};
  const own = { person: '', face: '', photo: '' };

  const call = async (user: string | null, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(user ? asUser(user) : {}), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, text: bytes.toString('latin1'), type: response.headers.get('content-type') ?? '' };
  };
  const json = async <T>(user: string, method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await call(user, method, path, body);
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return JSON.parse(answer.text) as T;
  };
  const upload = async (user: string, names: string[]): Promise<string[]> => {
    const form = new FormData();
    for (const name of names) form.append('photos', new Blob([await readFile(join(fixturesDir, 'photos', name))]), name);
    const response = await fetch(`${baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(user) });
    const body = (await response.json()) as { photos: Array<{ photoId: string }> };
    assert.equal(response.status, 202, JSON.stringify(body));
    return body.photos.map((photo) => photo.photoId);
  };
  const waitDone = async (user: string, ids: string[]) => {
    const deadline = Date.now() + 180_000;
    for (const id of ids) {
      for (;;) {
        const photo = await json<{ status: string }>(user, 'GET', `/photos/${id}`);
        if (photo.status === 'done') break;
        assert.notEqual(photo.status, 'failed');
        assert.ok(Date.now() < deadline, `photo ${id} not processed`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  type Person = { id: string; faceCount: number };

  before(async () => {
    database = await createTestDatabase('authz');
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-authz-'));
    Object.assign(process.env, {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      KAFKA_BROKERS: '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      CLUSTER_INTERVAL_SECONDS: '3600',
      WORKER_POLL_INTERVAL_MS: '100',
      AUTH_CREATE_FIRST_USER: 'false',
    });
    app = await bootstrapHttp(AllInOneModule);
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await provisionUsers({ DATABASE_URL: database.url }, [A, B]);

    // A: two people, two photos each, and a group photo. B: the very same bytes of A's two people.
    const photosOfA = await upload(A, ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'person-b-2.jpg', 'group-5.jpg']);
    const photosOfB = await upload(B, ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'person-b-2.jpg']);
    await waitDone(A, photosOfA);
    await waitDone(B, photosOfB);
    const run = await json<{ id: string; status: string }>(A, 'POST', '/clustering/run?wait=true');
    assert.equal(run.status, 'done');
    await json(B, 'POST', '/clustering/run?wait=true');

    const { people } = await json<{ people: Person[] }>(A, 'GET', '/people?filter=all');
    assert.ok(people.length >= 2, `A has ${people.length} person(s)`);
    const [target, merged, ...rest] = people;
    await json(A, 'PATCH', `/people/${target.id}`, { name: SECRET_NAME });
    const merge = await json<{ merge: { id: string } }>(A, 'POST', `/people/${target.id}/merge`, { personIds: [merged.id] });
    const photo = await json<{ faces: Array<{ id: string }> }>(A, 'GET', `/photos/${photosOfA[0]}`);
    Object.assign(idsOfA, {
      photo: photosOfA[0],
      face: photo.faces[0].id,
      person: (rest[0] ?? target).id,
      'named person': target.id,
      merge: merge.merge.id,
      'clustering run': run.id,
    });

    const peopleOfB = await json<{ people: Person[] }>(B, 'GET', '/people?filter=all');
    assert.ok(peopleOfB.people.length >= 1, 'B has persons (from the same photos as A)');
    own.person = peopleOfB.people[0].id;
    own.photo = photosOfB[0];
    own.face = (await json<{ faces: Array<{ id: string }> }>(B, 'GET', `/photos/${own.photo}`)).faces[0].id;
  });

  after(async () => {
    await app?.close();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('kNN: B’s similar persons never include A’s, though A has the very same face', async () => {
    const similar = await json<{ people: Array<{ person: { id: string }; similarity: number }> }>(B, 'GET', `/people/${own.person}/similar?limit=50`);
    const ofA = await json<{ people: Person[] }>(A, 'GET', '/people?filter=all');
    const idsOfAPeople = new Set(ofA.people.map((person) => person.id));
    assert.deepEqual(similar.people.filter((entry) => idsOfAPeople.has(entry.person.id)), []);
    // And the other way round: A's person with this face sees no person of B.
    const named = ofA.people.find((person) => person.id === idsOfA['named person'])!;
    const fromA = await json<{ people: Array<{ person: { id: string } }> }>(A, 'GET', `/people/${named.id}/similar?limit=50`);
    assert.ok(fromA.people.every((entry) => entry.person.id !== own.person));
  });

  test('every route refuses user B on user A’s objects; collections show B nothing of A', async () => {
    const routes = routesOf(app);
    for (const expected of ['POST /photos', 'GET /photos/:id', 'GET /people/:id/similar', 'POST /merges/:id/undo']) {
      assert.ok(routes.some((route) => `${route.method} ${route.path}` === expected), `router lists ${expected}`);
    }
    const secrets = [...Object.values(idsOfA), SECRET_NAME];
    const idColumns = [...Object.keys(idsOfA), 'random uuid', 'not a uuid'];
    const columns = ['no credentials', ...idColumns, 'B on B’s own'];
    const rows: string[][] = [];
    const failures: string[] = [];

    for (const route of routes.sort((x, y) => x.path.localeCompare(y.path) || x.method.localeCompare(y.method))) {
      const name = `${route.method} ${route.path}`;
      const params = route.path.match(/:\w+/g) ?? [];
      const fill = (value: string) => route.path.replace(/:\w+/g, value);
      const row = [name];

      const anonymous = await call(null, route.method, fill(randomUUID()), bodyFor(route, own));
      row.push(String(anonymous.status));
      if (PUBLIC_ROUTES.has(name)) {
        if (anonymous.status === 401) failures.push(`${name}: public route answered 401`);
      } else if (isStaticPublic(route.path)) {
        // Swagger UI, the OpenAPI document and the admin UI's files: public by design.
      } else if (anonymous.status !== 401) {
        failures.push(`${name}: answered ${anonymous.status} without credentials`);
      }
      if (PUBLIC_ROUTES.has(name) || isStaticPublic(route.path)) {
        rows.push([...row, ...idColumns.map(() => 'public'), 'public']);
        continue;
      }

      if (params.length === 0) {
        row.push(...idColumns.map(() => '—'));
      } else {
        const values = [...Object.values(idsOfA), randomUUID(), 'not-a-uuid'];
        for (const [index, value] of values.entries()) {
          const answer = await call(B, route.method, fill(value), bodyFor(route, own));
          const leaked = secrets.filter((secret) => secret !== value && answer.text.includes(secret));
          row.push(String(answer.status) + (leaked.length ? ' LEAK' : ''));
          if (answer.status < 300) failures.push(`${name} with A's ${idColumns[index]}: ${answer.status}`);
          if (leaked.length) failures.push(`${name} with ${idColumns[index]}: answer holds A's ${leaked.join(', ')}`);
          if (answer.status >= 500) failures.push(`${name} with ${idColumns[index]}: server error ${answer.status}`);
          if (answer.status >= 400 && !answer.type.includes('json')) failures.push(`${name}: ${answer.status} is not JSON`);
        }
      }

      // B on B's own objects (or the collection): whatever it answers holds nothing of A.
      const mine = await call(B, route.method, fill(route.path.startsWith('/faces') ? own.face : route.path.startsWith('/photos') ? own.photo : own.person), bodyFor(route, own));
      const leaked = secrets.filter((secret) => mine.text.includes(secret));
      row.push(`${mine.status}${leaked.length ? ' LEAK' : ''}`);
      if (leaked.length) failures.push(`${name} as B on B's own: answer holds A's ${leaked.join(', ')}`);
      rows.push(row);
    }

    printTable(columns, rows);
    assert.deepEqual(failures, []);
  });

  test('nothing of A changed: photo, name, merge and faces are as A left them', async () => {
    const photo = await json<{ id: string; faces: Array<{ id: string; personId: string | null }> }>(A, 'GET', `/photos/${idsOfA.photo}`);
    assert.equal(photo.id, idsOfA.photo);
    assert.ok(photo.faces.some((face) => face.id === idsOfA.face));
    const named = await json<{ name: string | null }>(A, 'GET', `/people/${idsOfA['named person']}`);
    assert.equal(named.name, SECRET_NAME);
    const original = await call(A, 'GET', `/photos/${idsOfA.photo}/original`);
    assert.equal(original.status, 200);
    // The merge is still in place: undoing it as A works once (B's attempts did not undo it).
    const undo = await call(A, 'POST', `/merges/${idsOfA.merge}/undo`);
    assert.equal(undo.status, 200, undo.text);
  });
});

function printTable(columns: string[], rows: string[][]): void {
  const header = ['endpoint', ...columns];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ');
  console.log(['', line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line), ''].join('\n'));
}
