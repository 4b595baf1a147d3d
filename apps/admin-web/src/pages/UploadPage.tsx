import { useEffect, useRef, useState, type DragEvent } from 'react';
import { api, uploadPhoto, type PhotoStatus } from '../api';
import { useToast } from '../components/Toasts';
import { bytes, plural } from '../format';
import { useInvalidation } from '../invalidation';
import { Link } from '../router';

type ItemState = 'waiting' | 'uploading' | PhotoStatus | 'duplicate' | 'rejected';

interface UploadItem {
  key: number;
  file: File;
  state: ItemState;
  progress: number;
  photoId?: string;
  faceCount?: number | null;
  message?: string;
}

/** Files sent at once: enough to keep the connection busy, few enough to show steady progress. */
const UPLOAD_CONCURRENCY = 3;
/** Photos whose processing status one poll asks about. */
const POLL_BATCH = 24;
const POLL_INTERVAL_MS = 1000;

const stateLabel: Record<ItemState, string> = {
  waiting: 'Waiting',
  uploading: 'Uploading',
  queued: 'Queued',
  processing: 'Finding faces',
  done: 'Done',
  failed: 'Failed',
  duplicate: 'Already uploaded',
  rejected: 'Refused',
};

const isImageName = (file: File) => file.type.startsWith('image/') || /\.(jpe?g|png|webp|tiff?|avif)$/i.test(file.name);

export function UploadPage() {
  const toast = useToast();
  const { invalidate } = useInvalidation();
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const [grouping, setGrouping] = useState(false);
  const nextKey = useRef(1);
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const input = useRef<HTMLInputElement>(null);
  const active = useRef(0);
  const unmounted = useRef(false);
  useEffect(() => () => void (unmounted.current = true), []);

  const update = (key: number, changes: Partial<UploadItem>) =>
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...changes } : item)));

  /** Starts uploads while fewer than UPLOAD_CONCURRENCY run; each finished upload pumps again. */
  const pump = () => {
    while (active.current < UPLOAD_CONCURRENCY) {
      const next = itemsRef.current.find((item) => item.state === 'waiting');
      if (!next) return;
      active.current++;
      next.state = 'uploading'; // claimed before React re-renders, so no file is sent twice
      update(next.key, { state: 'uploading', progress: 0 });
      uploadPhoto(next.file, (progress) => update(next.key, { progress }))
        .then((result) => {
          if (result.outcome === 'rejected') update(next.key, { state: 'rejected', progress: 1, message: result.error });
          else update(next.key, { state: result.outcome === 'accepted' ? 'queued' : 'duplicate', progress: 1, photoId: result.photoId });
        })
        .catch((error: unknown) => update(next.key, { state: 'rejected', message: (error as Error).message }))
        .finally(() => {
          active.current--;
          if (!unmounted.current) pump();
        });
    }
  };

  const add = (files: FileList | File[]) => {
    const chosen = [...files].filter(isImageName);
    const skipped = [...files].length - chosen.length;
    if (skipped > 0) toast({ message: `Skipped ${plural(skipped, 'file')} that ${skipped === 1 ? 'is' : 'are'} not a photo`, tone: 'error' });
    const added = chosen.map((file) => ({ key: nextKey.current++, file, state: 'waiting' as const, progress: 0 }));
    itemsRef.current = [...itemsRef.current, ...added];
    setItems((current) => [...current, ...added]);
    pump();
  };

  // Processing status without reloading: poll the photos that are queued or being processed.
  const pending = items.filter((item) => (item.state === 'queued' || item.state === 'processing') && item.photoId);
  const hasPending = pending.length > 0;
  useEffect(() => {
    if (!hasPending) return;
    let cancelled = false;
    let cursor = 0;
    const poll = async () => {
      const waiting = itemsRef.current.filter((item) => (item.state === 'queued' || item.state === 'processing') && item.photoId);
      cursor = cursor >= waiting.length ? 0 : cursor;
      const batch = waiting.slice(cursor, cursor + POLL_BATCH);
      cursor += POLL_BATCH;
      const answers = await Promise.allSettled(batch.map((item) => api.getPhoto(item.photoId!)));
      if (cancelled) return;
      answers.forEach((answer, index) => {
        if (answer.status !== 'fulfilled') return;
        const photo = answer.value;
        update(batch[index].key, { state: photo.status, faceCount: photo.faceCount, message: photo.failureReason ?? undefined });
      });
      if (!cancelled) timer = window.setTimeout(poll, POLL_INTERVAL_MS);
    };
    let timer = window.setTimeout(poll, POLL_INTERVAL_MS / 2);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [hasPending]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) add(event.dataTransfer.files);
  };

  const count = (...states: ItemState[]) => items.filter((item) => states.includes(item.state)).length;
  const settled = items.length > 0 && count('waiting', 'uploading', 'queued', 'processing') === 0;
  const processed = count('done');
  const faces = items.reduce((sum, item) => sum + (item.state === 'done' ? (item.faceCount ?? 0) : 0), 0);

  const group = async () => {
    setGrouping(true);
    try {
      const result = await api.runClustering();
      invalidate();
      toast({
        message:
          result.personCount !== null
            ? `Grouped ${plural(result.faceCount ?? 0, 'face')} into ${plural(result.personCount, 'person', 'people')}`
            : 'Faces grouped into people',
      });
    } catch (error) {
      toast({ message: `Could not group faces: ${(error as Error).message}`, tone: 'error' });
    } finally {
      setGrouping(false);
    }
  };

  return (
    <section className="page" aria-labelledby="upload-title">
      <div className="page__header">
        <h1 id="upload-title">Upload photos</h1>
      </div>
      <div
        className={`dropzone${dragging ? ' is-dragging' : ''}`}
        onDragEnter={(event) => (event.preventDefault(), setDragging(true))}
        onDragOver={(event) => event.preventDefault()}
        onDragLeave={(event) => event.currentTarget === event.target && setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <svg viewBox="0 0 24 24" width="40" height="40" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round">
          <path d="M12 16V4m0 0L7 9m5-5l5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" />
        </svg>
        <p className="dropzone__title">Drop photos here</p>
        <p className="muted">JPEG, PNG, WebP, TIFF or AVIF — as many as you like</p>
        <button type="button" className="button button--primary" onClick={() => input.current?.click()}>
          Choose photos…
        </button>
        <input
          ref={input}
          type="file"
          accept="image/jpeg,image/png,image/webp,image/tiff,image/avif"
          multiple
          className="visually-hidden"
          aria-label="Choose photos to upload"
          data-testid="file-input"
          tabIndex={-1}
          onChange={(event) => {
            if (event.target.files) add(event.target.files);
            event.target.value = '';
          }}
        />
      </div>

      {items.length > 0 && (
        <>
          <div className="upload-summary" aria-live="polite" data-testid="upload-summary">
            <span>
              {plural(items.length, 'file')} · {processed} processed
              {count('uploading', 'waiting') > 0 && ` · ${count('uploading', 'waiting')} uploading`}
              {count('queued', 'processing') > 0 && ` · ${count('queued', 'processing')} finding faces`}
              {count('failed', 'rejected') > 0 && ` · ${count('failed', 'rejected')} failed`}
              {processed > 0 && ` · ${plural(faces, 'face')} found`}
            </span>
            <span className="spacer" />
            {settled && (
              <>
                <button type="button" className="button" disabled={grouping} onClick={group}>
                  {grouping ? 'Grouping…' : 'Group faces into people now'}
                </button>
                <Link to="/" className="button button--primary">
                  See people
                </Link>
              </>
            )}
          </div>
          <ul className="upload-list" aria-label="Uploads">
            {items.map((item) => (
              <UploadRow key={item.key} item={item} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(item.file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [item.file]);
  const tone = item.state === 'done' ? 'ok' : item.state === 'failed' || item.state === 'rejected' ? 'bad' : item.state === 'duplicate' ? 'quiet' : 'busy';
  const detail =
    item.state === 'done'
      ? plural(item.faceCount ?? 0, 'face')
      : item.state === 'uploading'
        ? `${Math.round(item.progress * 100)}%`
        : (item.message ?? '');
  return (
    <li className="upload-row" data-testid="upload-row" data-status={item.state} data-file-name={item.file.name}>
      {preview && <img className="upload-row__preview" src={preview} alt="" loading="lazy" decoding="async" />}
      <span className="upload-row__name">
        <span>{item.file.name}</span>
        <span className="muted">{bytes(item.file.size)}</span>
      </span>
      <span className="upload-row__progress">
        <progress max={1} value={item.state === 'waiting' ? 0 : item.state === 'uploading' ? item.progress : 1} aria-label={`Upload of ${item.file.name}`} />
      </span>
      <span className={`status status--${tone}`}>
        {(item.state === 'queued' || item.state === 'processing' || item.state === 'uploading') && <span className="spinner spinner--small" aria-hidden="true" />}
        {stateLabel[item.state]}
      </span>
      <span className="upload-row__detail muted" title={detail}>
        {detail}
      </span>
    </li>
  );
}
