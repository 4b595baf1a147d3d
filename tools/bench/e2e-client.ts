/**
 * The client of the "e2e" suite, a process of its own so that its work is not counted as the
 * server's: reads its photos into memory (untimed), then, on the parent's "go", uploads them
 * over HTTP as the admin UI does (POST /photos, multipart, one file per request, a few
 * requests at a time) and polls the API until every photo is processed, and GET /people
 * until the first person appears. Reports to the parent over IPC: "processed" the moment the
 * last photo is done (so the parent reads the server's metrics and CPU time then), "report"
 * once faces are counted and the first person has appeared or the wait for it ran out.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withComment } from './load';
import { serveBenchTask } from './child-task';

/** One photo to upload: a file, or (copy > 0) the same image with other bytes, so it is new to the server. */
export interface UploadSource {
  path: string;
  copy: number;
}

/** What the parent asks of the client (first message). */
export interface E2eClientTask {
  baseUrl: string;
  /** Request headers that authenticate the user. */
  headers: Record<string, string>;
  photos: UploadSource[];
  /** Upload requests in flight at once. */
  concurrency: number;
  pollIntervalMs: number;
  /** How long to keep waiting for the first person after the last photo was processed. */
  firstPersonWaitMs: number;
}

/** Sent the moment every photo is processed: the end of the timed run. */
export interface E2eClientProcessed {
  /** From the first upload request to the poll that saw no photo queued or processing. */
  wallMs: number;
  /** From the first upload request to the answer to the last. */
  uploadWallMs: number;
  cpuSeconds: number;
}

export interface E2eClientReport extends E2eClientProcessed {
  accepted: number;
  duplicates: number;
  rejected: string[];
  /** Client-side time of each upload request, from sending to the whole answer read. */
  uploadLatencyMs: number[];
  done: number;
  failed: number;
  /** Faces of the done photos, as GET /photos reports them. */
  faces: number;
  /** From the first upload request to the first GET /people with a person in it; null if none appeared in the wait. */
  firstPersonMs: number | null;
}

interface PhotoPage {
  photos: Array<{ status: string; faceCount: number | null }>;
  nextCursor: string | null;
}

async function main(task: E2eClientTask, go: Promise<void>): Promise<E2eClientReport> {
  const photos = await Promise.all(
    task.photos.map(async (source) => {
      const bytes = await readFile(source.path);
      return { name: basename(source.path), bytes: source.copy > 0 ? withComment(bytes, `facecloud e2e copy ${source.copy}`) : bytes };
    }),
  );
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${task.baseUrl}${path}`, { ...init, headers: { ...task.headers, accept: 'application/json' } });
    const body = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as T;
  };

  process.send?.({ type: 'ready' });
  await go;
  const cpuAtGo = process.cpuUsage();
  const started = performance.now();
  const since = () => performance.now() - started;

  // The first person, watched from the first upload on, as a user on the People page would.
  let firstPersonMs: number | null = null;
  let watching = true;
  const personWatch = (async () => {
    while (watching && firstPersonMs === null) {
      const { people } = await api<{ people: unknown[] }>('/people?limit=1');
      if (people.length > 0) firstPersonMs = since();
      else await sleep(task.pollIntervalMs);
    }
  })();
  personWatch.catch(() => undefined); // awaited (and its error thrown) at the end

  // Uploads as the admin UI sends them: one file per request, `concurrency` requests at a time.
  const uploadLatencyMs: number[] = [];
  const rejected: string[] = [];
  let accepted = 0;
  let duplicates = 0;
  let next = 0;
  const uploader = async () => {
    while (next < photos.length) {
      const photo = photos[next++];
      const form = new FormData();
      form.append('photos', new Blob([photo.bytes], { type: 'image/jpeg' }), photo.name);
      const sent = performance.now();
      const response = await fetch(`${task.baseUrl}/photos`, { method: 'POST', body: form, headers: { ...task.headers, accept: 'application/json' } });
      const body = await response.text();
      uploadLatencyMs.push(performance.now() - sent);
      if (response.status >= 500 || response.status === 401 || response.status === 403) {
        throw new Error(`POST /photos answered ${response.status}: ${body.slice(0, 300)}`);
      }
      if (!response.ok) {
        rejected.push(`${photo.name}: ${response.status} ${body.slice(0, 200)}`);
        continue;
      }
      for (const result of (JSON.parse(body) as { photos: Array<{ outcome: string; error?: string }> }).photos) {
        if (result.outcome === 'accepted') accepted++;
        else if (result.outcome === 'duplicate') duplicates++;
        else rejected.push(`${photo.name}: ${result.error ?? result.outcome}`);
      }
    }
  };
  await Promise.all(Array.from({ length: task.concurrency }, uploader));
  const uploadWallMs = since();

  // Processed: no photo of the user is queued or being processed any more.
  const anyWith = async (status: string) => (await api<PhotoPage>(`/photos?status=${status}&limit=1`)).photos.length > 0;
  while ((await anyWith('queued')) || (await anyWith('processing'))) await sleep(task.pollIntervalMs);
  const processed: E2eClientProcessed = { wallMs: since(), uploadWallMs, cpuSeconds: cpuSecondsSince(cpuAtGo) };
  process.send?.({ type: 'processed', processed });

  const done = await listAll(api, 'done');
  const failed = await listAll(api, 'failed');
  const waitUntil = performance.now() + task.firstPersonWaitMs;
  while (firstPersonMs === null && performance.now() < waitUntil) await sleep(task.pollIntervalMs);
  watching = false;
  await personWatch;
  return {
    ...processed,
    accepted,
    duplicates,
    rejected,
    uploadLatencyMs,
    done: done.length,
    failed: failed.length,
    faces: done.reduce((sum, photo) => sum + (photo.faceCount ?? 0), 0),
    firstPersonMs,
  };
}

/** Every photo of the user with this status, a page at a time. */
async function listAll(api: <T>(path: string) => Promise<T>, status: string): Promise<PhotoPage['photos']> {
  const photos: PhotoPage['photos'] = [];
  let cursor: string | null = null;
  do {
    const page: PhotoPage = await api(`/photos?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    photos.push(...page.photos);
    cursor = page.nextCursor;
  } while (cursor);
  return photos;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

if (require.main === module) serveBenchTask(main);
