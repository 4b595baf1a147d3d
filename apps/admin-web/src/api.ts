/**
 * Typed client of the Facecloud HTTP API (same origin; the session cookie rides along). Its
 * types are the API's contract (libs/contract), the zod schemas the server answers by.
 */
import type {
  ClusteringRunView,
  FacesPage,
  FaceView,
  MergeResult,
  MoveFaceBody,
  PeopleFilter,
  PeoplePage,
  PeopleSort,
  PersonView,
  PhotoDetail,
  PhotosPage,
  PhotoStatus,
  SimilarPeople,
  UndoResult,
  UpdatePersonBody,
  UploadResponse,
  UploadResult,
} from '@facecloud/contract';

export type { FaceView, MergeResult, PeopleFilter, PeopleSort, PersonView, PhotoDetail, PhotoStatus, UploadResult };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An error answer of the API, with its status and Nest's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Requests that got 401 wait here until the user has logged in, then are retried, so a
 * session that expires mid-work loses nothing. The login form subscribes to it.
 */
class AuthGate {
  private waiting: Array<() => void> = [];
  private listeners = new Set<(needsLogin: boolean) => void>();

  get needsLogin(): boolean {
    return this.waiting.length > 0;
  }

  waitForLogin(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) this.notify();
    });
  }

  loggedIn(): void {
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resume) => resume());
    this.notify();
  }

  subscribe(listener: (needsLogin: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    this.listeners.forEach((listener) => listener(this.needsLogin));
  }
}

export const authGate = new AuthGate();

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { message?: unknown };
    if (Array.isArray(body.message)) message = body.message.join('; ');
    else if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message);
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  for (;;) {
    const response = await fetch(path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && !path.startsWith('/auth/')) {
      await authGate.waitForLogin();
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  login: (username: string, password: string) => request<{ user: { id: string } }>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  me: () => request<{ user: { id: string } }>('GET', '/auth/me'),

  async listPeople(
    options: { filter?: PeopleFilter; sort?: PeopleSort; q?: string; cursor?: string | null; limit?: number },
    signal?: AbortSignal,
  ): Promise<Page<PersonView>> {
    const page = await request<PeoplePage>(
      'GET',
      `/people${query({ limit: options.limit ?? 60, filter: options.filter, sort: options.sort, q: options.q, cursor: options.cursor })}`,
      undefined,
      signal,
    );
    return { items: page.people, nextCursor: page.nextCursor ?? null };
  },
  getPerson: (id: string, signal?: AbortSignal) => request<PersonView>('GET', `/people/${id}`, undefined, signal),
  async listFaces(personId: string, cursor: string | null, signal?: AbortSignal): Promise<Page<FaceView>> {
    const page = await request<FacesPage>(
      'GET',
      `/people/${personId}/faces${query({ limit: 120, cursor })}`,
      undefined,
      signal,
    );
    return { items: page.faces, nextCursor: page.nextCursor ?? null };
  },
  updatePerson: (id: string, changes: UpdatePersonBody) =>
    request<PersonView>('PATCH', `/people/${id}`, changes),
  merge: (targetId: string, personIds: string[]) => request<MergeResult>('POST', `/people/${targetId}/merge`, { personIds }),
  undoMerge: (mergeId: string) => request<UndoResult>('POST', `/merges/${mergeId}/undo`),
  similar: (id: string, signal?: AbortSignal) =>
    request<SimilarPeople>('GET', `/people/${id}/similar?limit=8`, undefined, signal),
  moveFace: (faceId: string, target: MoveFaceBody) =>
    request<FaceView>('POST', `/faces/${faceId}/move`, target),
  removeFace: (faceId: string) => request<FaceView>('POST', `/faces/${faceId}/remove`),
  notAFace: (faceId: string) => request<FaceView>('POST', `/faces/${faceId}/not-a-face`),
  getPhoto: (id: string, signal?: AbortSignal) => request<PhotoDetail>('GET', `/photos/${id}`, undefined, signal),
  listPhotos: (options: { limit?: number; cursor?: string | null; status?: PhotoStatus }, signal?: AbortSignal) =>
    request<PhotosPage>(
      'GET',
      `/photos${query({ limit: options.limit ?? 50, cursor: options.cursor, status: options.status })}`,
      undefined,
      signal,
    ),
  /** Groups faces into people now and waits for the run to finish (polling when it outlasts the server's wait). */
  async runClustering(): Promise<ClusteringRunView> {
    let run = await request<ClusteringRunView>('POST', '/clustering/run?wait=true');
    while (run.status === 'queued' || run.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      run = await request<ClusteringRunView>('GET', `/clustering/runs/${run.id}`);
    }
    if (run.status === 'failed') throw new ApiError(500, run.error ?? 'clustering failed');
    return run;
  },
};

/**
 * Uploads one file with upload progress (fetch cannot report it, XMLHttpRequest can).
 * Resolves with the API's per-file result; a 401 waits for login and retries.
 */
export function uploadPhoto(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/photos');
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network error'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.onload = () => {
      const body = xhr.response as (Partial<UploadResponse> & { message?: string | string[] }) | null;
      if (xhr.status === 401) {
        authGate.waitForLogin().then(() => uploadPhoto(file, onProgress, signal).then(resolve, reject));
        return;
      }
      const result = body?.photos?.[0];
      if (result) resolve(result);
      else {
        const message = Array.isArray(body?.message) ? body.message.join('; ') : (body?.message ?? `${xhr.status} ${xhr.statusText}`);
        resolve({ fileName: file.name, outcome: 'rejected', error: message });
      }
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('photos', file, file.name);
    xhr.send(form);
  });
}
