import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { startService, type RunningService } from '../../tools/support/service-process';
import { asUser, provisionUsers } from '../../tools/support/api-users';
import { datasetsDir, fixturesDir, repoRoot, skipWithoutDatasets } from '../../tools/support/paths';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { launchBrowser, screenshotsDir, skipWithoutChromium, type Browser } from './chromium';

/**
 * The admin web UI end to end, in a real Chromium against the real all-in-one server
 * (PostgreSQL, models, clusterer): log in, upload photos, see people, rename, merge, undo,
 * move a face, hide a person. Every step asserts on the page and then on the API.
 */

const photosDir = join(fixturesDir, 'photos');
const photoNames = ['person-a-1.jpg', 'person-a-2.jpg', 'person-b-1.jpg', 'person-b-2.jpg', 'group-5.jpg', 'no-face.jpg'];
/** Screenshots the documentation shows (docs/screenshots, in docs/admin-ui.md). */
const docScreenshots = ['people-grid', 'person-page', 'merge-dialog'];

interface PersonView {
  id: string;
  name: string | null;
  hidden: boolean;
  faceCount: number;
}
interface FaceView {
  id: string;
  personId: string | null;
  assignedBy: string;
}
interface PhotoView {
  id: string;
  fileName: string;
  status: string;
  faceCount: number | null;
  faces: FaceView[];
}

/** The few browser-side types the page scripts below use (the tests compile without the DOM library). */
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
}
interface BrowserGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
  atob(base64: string): string;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe('admin web UI', () => {
  let database: TestDatabase;
  let dataDir: string;
  let service: RunningService;
  let baseUrl: string;
  let password: string;
  let userId: string;

  /** The API as the same user the browser logs in as (through tools/support/api-users). */
  const apiGet = async <T>(path: string, expectedStatus = 200): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, { headers: asUser(userId) });
    assert.equal(response.status, expectedStatus, `GET ${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  };

  before(async () => {
    assert.ok(
      existsSync(join(repoRoot, 'dist/admin-web/index.html')),
      'dist/admin-web is missing: build the UI first (npm run build, or npm run build:admin-web)',
    );
    database = await createTestDatabase('admin_web');
    dataDir = await mkdtemp(join(tmpdir(), 'facecloud-admin-web-'));
    service = await startService('all-in-one', {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: '',
      DATA_DIR: dataDir,
      CLUSTER_INTERVAL_SECONDS: '3600',
      WORKER_POLL_INTERVAL_MS: '200',
    });
    baseUrl = service.baseUrl!;
    // A new install creates its first user and prints the password once: what a user would type.
    const firstUser = service.logs.map((line) => /created user \\?"([^"\\]+)\\?" with password (\S+)/.exec(line)).find(Boolean);
    assert.ok(firstUser, `no first-user line in the logs:\n${service.logs.join('\n')}`);
    [, userId, password] = firstUser;
    const pool = new Pool({ connectionString: database.url, max: 1 });
    try {
      await provisionUsers({ pool }, [userId]);
    } finally {
      await pool.end();
    }
  });

  after(async () => {
    await service?.stop();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('serving', () => {
    test('/admin serves the built app: hashed assets cached for a year, pages revalidated, SPA routes fall back', async () => {
      const redirect = await fetch(`${baseUrl}/admin`, { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get('location'), '/admin/');

      const index = await fetch(`${baseUrl}/admin/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(index.headers.get('cache-control'), 'no-cache');
      assert.ok(index.headers.get('etag'), 'index.html has an ETag to revalidate with');
      assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const html = await index.text();
      assert.doesNotMatch(html, /https?:\/\//, 'no CDN or other origin referenced');
      const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, html);

      const asset = await fetch(`${baseUrl}${script}`);
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      // (fetch would add "Cache-Control: no-cache" to a conditional request, which forbids a 304.)
      const revalidated = await fetch(`${baseUrl}/admin/`, { headers: { 'If-None-Match': index.headers.get('etag')!, 'Cache-Control': 'max-age=0' } });
      assert.equal(revalidated.status, 304);

      const route = await fetch(`${baseUrl}/admin/people/0b6f3f8e-0000-4000-8000-000000000000`);
      assert.equal(route.status, 200);
      assert.equal(await route.text(), html, 'a page of the app is index.html');

      for (const missing of ['/admin/assets/nope.js', '/admin/nope.png', '/admin/%2e%2e/package.json', '/admin/..%2fpackage.json']) {
        const response = await fetch(`${baseUrl}${missing}`);
        assert.equal(response.status, 404, missing);
        assert.equal(((await response.json()) as { statusCode: number }).statusCode, 404);
      }
    });

    test('/admin is public, the API behind it is not', async () => {
      assert.equal((await fetch(`${baseUrl}/admin/`)).status, 200);
      assert.equal((await fetch(`${baseUrl}/people`)).status, 401);
    });
  });

  describe('in Chromium', { skip: skipWithoutChromium }, () => {
    let browser: Browser;
    let page: Page;
    const photoIds = new Map<string, string>();
    let personA: string;
    let personB: string;

    before(async () => {
      browser = await launchBrowser();
      page = browser.page;
      page.setDefaultTimeout(30_000);
    });

    after(async () => {
      await browser?.close();
      // docs/admin-ui.md shows three of the screenshots: UPDATE_DOC_SCREENSHOTS=1 refreshes its copies
      // (opt-in, so that a test run leaves the checkout as it was).
      if (process.env.UPDATE_DOC_SCREENSHOTS === '1' && docScreenshots.every((name) => existsSync(join(screenshotsDir, `${name}.png`)))) {
        const docs = join(repoRoot, 'docs', 'screenshots');
        await mkdir(docs, { recursive: true });
        for (const name of docScreenshots) {
          // The grid of the larger library, where the datasets were there to make one.
          const large = join(screenshotsDir, `${name}-large.png`);
          // Palette PNGs: a third of the size, for a file kept in the repository.
          await sharp(existsSync(large) ? large : join(screenshotsDir, `${name}.png`))
            .png({ palette: true, quality: 90, compressionLevel: 9 })
            .toFile(join(docs, `${name}.png`));
        }
      }
    });

    /**
     * The steps build on each other (one user's library): after a failure the rest are
     * skipped rather than each timing out, and the page at the failure is saved.
     */
    let failedStep: string | undefined;
    const step = (name: string, run: () => Promise<void>) =>
      test(name, async (context) => {
        if (failedStep) return context.skip(`an earlier step failed: ${failedStep}`);
        try {
          await run();
        } catch (error) {
          failedStep = name;
          console.error(`--- service logs ---\n${service.logs.slice(-40).join('\n')}\n--- page text ---\n${await page.innerText('body').catch(() => '')}`);
          await browser.screenshot(`failed-${name.split(':')[0].replace(/\W+/g, '-')}`).catch(() => undefined);
          throw error;
        }
      });

    const personOf = async (fileName: string): Promise<string> => {
      const photo = await apiGet<PhotoView>(`/photos/${photoIds.get(fileName)}`);
      assert.ok(photo.faces[0]?.personId, `${fileName} has a grouped face`);
      return photo.faces[0].personId!;
    };
    const card = (personId: string) => page.locator(`[data-testid="person-card"][data-person-id="${personId}"]`);
    const faceTiles = () => page.locator('[data-testid="face-tile"]');
    const countsText = () => page.getByTestId('person-counts').innerText();

    step('login: a 401 shows the login form; after signing in the page loads', async () => {
      await page.goto(`${baseUrl}/admin/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await browser.screenshot('login');
      await page.getByLabel('User name').fill(userId);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'No people yet' }).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Sign in' }).count(), 0);
      const cookies = await browser.context.cookies(baseUrl);
      assert.ok(cookies.some((cookie) => cookie.httpOnly && cookie.sameSite === 'Strict'), 'an HttpOnly SameSite=Strict session cookie');
    });

    step('upload: dropped and chosen photos show progress and status until processed', async () => {
      await page.getByRole('link', { name: 'Upload', exact: true }).click();
      await page.getByRole('heading', { name: 'Upload photos' }).waitFor();
      // Drag and drop: a real DataTransfer with File objects, dropped on the drop zone.
      const dropped = photoNames.slice(0, 5);
      const files = await Promise.all(dropped.map(async (name) => ({ name, base64: (await readFile(join(photosDir, name))).toString('base64') })));
      const dataTransfer = await page.evaluateHandle((list) => {
        const web = globalThis as unknown as BrowserGlobals;
        const transfer = new web.DataTransfer();
        for (const file of list) {
          const bytes = Uint8Array.from(web.atob(file.base64), (char) => char.charCodeAt(0));
          transfer.items.add(new web.File([bytes], file.name, { type: 'image/jpeg' }));
        }
        return transfer;
      }, files);
      await page.getByTestId('dropzone').dispatchEvent('dragenter', { dataTransfer });
      await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
      // And the file picker for the last one.
      await page.getByTestId('file-input').setInputFiles(join(photosDir, photoNames[5]));

      const rows = page.getByTestId('upload-row');
      await waitUntil('6 upload rows are listed', async () => (await rows.count()) === 6, 10_000);
      await waitUntil(
        'every photo is processed',
        async () => (await rows.evaluateAll((all) => all.map((row) => (row as unknown as { dataset: Record<string, string | undefined> }).dataset.status))).every((status) => status === 'done'),
        120_000,
      );
      const rowText = (name: string) => page.locator(`[data-testid="upload-row"][data-file-name="${name}"]`).innerText();
      assert.match(await rowText('group-5.jpg'), /5 faces/);
      assert.match(await rowText('person-a-1.jpg'), /1 face\b/);
      assert.match(await rowText('no-face.jpg'), /0 faces/);
      assert.match(await page.getByTestId('upload-summary').innerText(), /6 files · 6 processed · 9 faces found/);
      await browser.screenshot('upload');

      const { photos } = await apiGet<{ photos: PhotoView[] }>('/photos?limit=50');
      assert.deepEqual(photos.map((photo) => photo.fileName).sort(), [...photoNames].sort());
      assert.ok(photos.every((photo) => photo.status === 'done'));
      photos.forEach((photo) => photoIds.set(photo.fileName, photo.id));
    });

    step('people: grouping shows each person with cover face, name prompt and face count', async () => {
      await page.getByRole('button', { name: 'Group faces into people now' }).click();
      await page.getByTestId('toast').filter({ hasText: /Grouped 9 faces into/ }).waitFor();
      personA = await personOf('person-a-1.jpg');
      personB = await personOf('person-b-1.jpg');
      assert.equal(await personOf('person-a-2.jpg'), personA);
      assert.notEqual(personA, personB);

      await page.getByRole('link', { name: 'See people' }).click();
      await card(personA).waitFor();
      const { people } = await apiGet<{ people: PersonView[] }>('/people');
      assert.equal(await page.getByTestId('person-card').count(), people.length);
      assert.match(await card(personA).innerText(), /Unnamed person\s+2 faces/);
      assert.match(await card(personB).innerText(), /2 faces/);
      await waitUntil('cover thumbnails are loaded', () =>
        card(personA).locator('img').evaluate((image) => (image as unknown as ImageElement).complete && (image as unknown as ImageElement).naturalWidth === 112),
      );
      await browser.screenshot('people-grid');
    });

    step('rename: an unnamed person is named from the grid', async () => {
      await card(personA).getByLabel('Name this person').fill('Ada Lovelace');
      await card(personA).getByLabel('Name this person').press('Enter');
      await card(personA).getByText('Ada Lovelace').waitFor();
      assert.equal(await card(personA).getByLabel('Name this person').count(), 0, 'the prompt goes once named');
      assert.equal((await apiGet<PersonView>(`/people/${personA}`)).name, 'Ada Lovelace');
    });

    step('person page: faces, photo preview with boxes and names, inline rename', async () => {
      await card(personB).getByRole('link').click();
      await page.waitForURL(`**/admin/people/${personB}`);
      await page.getByRole('button', { name: /Unnamed person — add a name/ }).click();
      await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
      await page.getByLabel('Name', { exact: true }).press('Enter');
      await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
      assert.equal((await apiGet<PersonView>(`/people/${personB}`)).name, 'Grace Hopper');

      await page.getByRole('link', { name: '← People' }).click();
      await card(personA).getByRole('link').click();
      await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
      await waitUntil('two face tiles', async () => (await faceTiles().count()) === 2);
      await faceTiles().first().getByRole('button').click();
      const preview = page.getByTestId('photo-preview');
      await preview.locator('img').waitFor();
      await waitUntil('the preview image is loaded', () => preview.locator('img').evaluate((image) => (image as unknown as ImageElement).complete && (image as unknown as ImageElement).naturalWidth > 0));
      await preview.getByTestId('face-box').first().waitFor();
      assert.equal(await preview.getByTestId('face-box').count(), 1);
      assert.equal(await preview.getByTestId('face-box').locator('text').textContent(), 'Ada Lovelace');
      // The box lies on the face: its rectangle is inside the image and of a plausible size.
      const [imageBox, faceBox] = await Promise.all([preview.locator('img').boundingBox(), preview.getByTestId('face-box').locator('rect').boundingBox()]);
      assert.ok(imageBox && faceBox);
      assert.ok(faceBox.x >= imageBox.x && faceBox.x + faceBox.width <= imageBox.x + imageBox.width + 1, JSON.stringify({ imageBox, faceBox }));
      assert.ok(faceBox.width > imageBox.width * 0.05 && faceBox.width < imageBox.width, JSON.stringify({ imageBox, faceBox }));
      await browser.screenshot('photo-preview');
      await page.keyboard.press('Escape');
      await preview.waitFor({ state: 'detached' });
    });

    let mergeId: string | undefined;

    step('merge: the dialog suggests and searches people; merging moves their faces', async () => {
      await page.getByRole('button', { name: 'Merge…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Merge into Ada Lovelace' });
      await dialog.waitFor();
      await dialog.getByRole('heading', { name: 'Suggestions' }).waitFor();
      await dialog.getByLabel('Search people by name').fill('grace');
      await dialog.getByRole('heading', { name: 'Matching “grace”' }).waitFor();
      const candidate = dialog.locator(`[data-testid="candidate"][data-person-id="${personB}"]`);
      await candidate.waitFor();
      assert.equal(await dialog.getByTestId('candidate').filter({ hasText: 'Ada Lovelace' }).count(), 0, 'the target is not offered');
      await candidate.click();
      assert.equal(await candidate.getAttribute('aria-checked'), 'true');
      await browser.screenshot('merge-dialog');
      const [mergeResponse] = await Promise.all([
        page.waitForResponse((response) => response.url().endsWith(`/people/${personA}/merge`)),
        dialog.getByRole('button', { name: 'Merge 1 person' }).click(),
      ]);
      assert.ok(mergeResponse.ok(), `merge answered ${mergeResponse.status()}`);
      mergeId = ((await mergeResponse.json()) as { merge: { id: string } }).merge.id;
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('toast').filter({ hasText: 'Merged 1 person into Ada Lovelace' }).waitFor();
      await waitUntil('four faces on the page', async () => (await faceTiles().count()) === 4);
      assert.match(await countsText(), /^4 faces · 4 photos/);
      await browser.screenshot('person-page');

      assert.equal((await apiGet<PersonView>(`/people/${personA}`)).faceCount, 4);
      await apiGet(`/people/${personB}`, 404);
    });

    step('undo: the toast undoes the merge', async () => {
      await page.getByTestId('toast').filter({ hasText: 'Merged' }).getByRole('button', { name: 'Undo' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Merge undone' }).waitFor();
      await waitUntil('two faces again', async () => (await faceTiles().count()) === 2);
      assert.match(await countsText(), /^2 faces/);
      const restored = await apiGet<PersonView>(`/people/${personB}`);
      assert.deepEqual([restored.name, restored.faceCount], ['Grace Hopper', 2]);
      assert.equal((await apiGet<PersonView>(`/people/${personA}`)).faceCount, 2);
      const again = await fetch(`${baseUrl}/merges/${mergeId}/undo`, { method: 'POST', headers: asUser(userId) });
      assert.equal(again.status, 409, 'the UI undid this very merge');
    });

    step('move: a selected face goes to another person', async () => {
      const tile = faceTiles().first();
      const faceId = (await tile.getAttribute('data-face-id'))!;
      await tile.hover();
      await tile.getByRole('checkbox').check();
      const toolbar = page.getByRole('toolbar', { name: 'Selected faces' });
      await toolbar.getByText('1 face selected').waitFor();
      await browser.screenshot('person-page-selection');
      await toolbar.getByRole('button', { name: 'Move to…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Move 1 face' });
      await dialog.locator(`[data-testid="candidate"][data-person-id="${personB}"]`).click();
      await dialog.getByRole('button', { name: 'Move to Grace Hopper' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Moved 1 face to Grace Hopper' }).waitFor();
      await waitUntil('one face left', async () => (await faceTiles().count()) === 1);
      assert.equal(await page.locator(`[data-face-id="${faceId}"]`).count(), 0);

      const { faces } = await apiGet<{ faces: FaceView[] }>(`/people/${personB}/faces`);
      const moved = faces.find((face) => face.id === faceId);
      assert.ok(moved, 'the face is now one of Grace Hopper');
      assert.equal(moved.assignedBy, 'user');
      assert.equal((await apiGet<PersonView>(`/people/${personA}`)).faceCount, 1);
    });

    step('hidden people: hiding takes a person off the grid and onto the Hidden tab', async () => {
      await page.getByRole('link', { name: '← People' }).click();
      await card(personB).waitFor();
      await card(personB).hover();
      await card(personB).getByRole('button', { name: 'Hide Grace Hopper' }).click();
      await card(personB).waitFor({ state: 'detached' });
      assert.equal((await apiGet<PersonView>(`/people/${personB}`)).hidden, true);
      await page.getByRole('tab', { name: 'Hidden' }).click();
      await card(personB).waitFor();
      assert.equal(await card(personA).count(), 0);
      assert.match(page.url(), /\?filter=hidden$/);
    });

    /**
     * A fuller library for the documentation's people grid: photos of the dev set's labelled people,
     * uploaded through the API and named after their folder (what a user would type).
     */
    test('a larger library: dev-set people fill the grid', { skip: skipWithoutDatasets }, async (context) => {
      if (failedStep) return context.skip(`an earlier step failed: ${failedStep}`);
      const peopleDir = join(datasetsDir, 'dev', 'people');
      const identities = (await readdir(peopleDir)).sort().slice(0, 24);
      const identityOf = new Map<string, string>();
      const files: Array<{ path: string; identity: string }> = [];
      for (const identity of identities) {
        for (const name of (await readdir(join(peopleDir, identity))).sort().slice(0, 3)) files.push({ path: join(peopleDir, identity, name), identity });
      }
      for (let start = 0; start < files.length; start += 20) {
        const form = new FormData();
        for (const file of files.slice(start, start + 20)) {
          form.append('photos', new Blob([await readFile(file.path)]), `${file.identity}--${file.path.split('/').pop()}`);
        }
        const response = await fetch(`${baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(userId) });
        const body = await response.text();
        assert.ok(response.status === 202 || response.status === 200, `upload: ${response.status} ${body}`);
        for (const result of (JSON.parse(body) as { photos: Array<{ fileName: string; photoId?: string }> }).photos) {
          if (result.photoId) identityOf.set(result.photoId, result.fileName.split('--')[0]);
        }
      }
      await waitUntil(
        'the dev photos are processed',
        async () => {
          const [queued, processing] = await Promise.all(['queued', 'processing'].map((status) => apiGet<{ photos: unknown[] }>(`/photos?status=${status}`)));
          return queued.photos.length + processing.photos.length === 0;
        },
        180_000,
      );
      const run = await fetch(`${baseUrl}/clustering/run?wait=true`, { method: 'POST', headers: asUser(userId) });
      assert.equal(run.status, 200, await run.text());

      // Name every unnamed person after the folder most of its faces came from.
      const { people } = await apiGet<{ people: PersonView[] }>('/people?filter=unnamed&limit=200');
      for (const person of people) {
        const { faces } = await apiGet<{ faces: Array<FaceView & { photoId: string }> }>(`/people/${person.id}/faces`);
        const votes = new Map<string, number>();
        for (const face of faces) {
          const identity = identityOf.get(face.photoId);
          if (identity) votes.set(identity, (votes.get(identity) ?? 0) + 1);
        }
        const [identity] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
        if (!identity) continue;
        const name = identity.split('_').map((word) => word[0].toUpperCase() + word.slice(1)).join(' ');
        const response = await fetch(`${baseUrl}/people/${person.id}`, {
          method: 'PATCH',
          headers: { ...asUser(userId), 'Content-Type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        assert.equal(response.status, 200, await response.text());
      }

      await page.goto(`${baseUrl}/admin/`);
      await page.getByTestId('person-card').first().waitFor();
      const visible = await apiGet<{ people: PersonView[] }>('/people?limit=60');
      await waitUntil('every person of the first page is shown', async () => (await page.getByTestId('person-card').count()) === visible.people.length);
      assert.ok(visible.people.length >= identities.length / 2, `${visible.people.length} people for ${identities.length} identities`);
      await waitUntil('the first row of covers is loaded', () =>
        page
          .getByTestId('person-card')
          .locator('img')
          .evaluateAll((images) => images.slice(0, 6).every((image) => (image as unknown as ImageElement).complete)),
      );
      await browser.screenshot('people-grid-large');
    });

    step('the pages logged no errors', async () => {
      // Before login the API answered 401 on purpose; anything else is a fault.
      const unexpected = browser.problems.filter((problem) => !/status of 401/.test(problem));
      assert.deepEqual(unexpected, []);
      const saved = await readdir(screenshotsDir);
      for (const name of ['login', 'upload', ...docScreenshots, 'photo-preview']) assert.ok(saved.includes(`${name}.png`), name);
    });
  });
});
