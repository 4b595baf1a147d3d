import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplicationContext } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { PhotoUploadService } from '@facecloud/ingest';
import {
  DATABASE,
  Repositories,
  blobDirFromConfig,
  sha256OfFile,
  type Database,
  type PhotoProgress,
  type PhotoRepository,
} from '@facecloud/storage';
import { Progress } from './progress';

/** Extensions looked at; the upload path still checks each file's content. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.tif', '.tiff', '.avif']);

export interface FolderImportOptions {
  folder: string;
  userId: string;
  /** Wait until every photo of the folder is processed (or failed). */
  wait: boolean;
  /** Give up waiting after this long; undefined = no limit. */
  waitTimeoutMs?: number;
  /** How often progress is printed as plain lines when stderr is not a terminal. */
  plainProgressIntervalMs: number;
}

export interface FolderImportSummary {
  folder: string;
  userId: string;
  /** Image files found (by extension). */
  files: number;
  /** Uploaded now. */
  imported: number;
  /** Already in the library (same bytes), from an earlier run or twice in the folder: not uploaded again. */
  alreadyIn: number;
  rejected: Array<{ file: string; reason: string }>;
  /** Files skipped for their extension (not photos). */
  ignored: number;
  /** Where the folder's photos stand after waiting; absent with wait off. */
  processing?: PhotoProgress & { timedOut: boolean };
  seconds: number;
}

/** Every file under `folder`, as paths relative to it with forward slashes, sorted. */
export async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * Uploads a folder, recursively, through the API's own upload path (PhotoUploadService:
 * format check, blob store, photo row and job in one transaction) straight against the
 * configured database and blob store. Resumable: a file whose bytes the user already has is
 * neither copied nor uploaded again, so an interrupted import just runs again.
 */
export async function importFolder(app: INestApplicationContext, options: FolderImportOptions): Promise<FolderImportSummary> {
  const startedAt = performance.now();
  const folder = resolve(options.folder);
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw new Error(`not a folder: ${options.folder}`);
  const config = app.get<AppConfig>(APP_CONFIG);
  const photos = app.get(Repositories).forOwner(app.get<Database>(DATABASE).pool, options.userId).photos;
  const upload = app.get(PhotoUploadService);

  const all = await listFiles(folder);
  const files = all.filter((file) => IMAGE_EXTENSIONS.has(extname(file).toLowerCase()));
  const summary: FolderImportSummary = {
    folder: options.folder,
    userId: options.userId,
    files: files.length,
    imported: 0,
    alreadyIn: 0,
    rejected: [],
    ignored: all.length - files.length,
    seconds: 0,
  };

  const known = await photos.idsBySha256();
  const photoIds = new Set<string>();
  // Uploads are moved into the store from beside it (same file system), as the API does.
  const incoming = join(blobDirFromConfig(config), '.incoming');
  await mkdir(incoming, { recursive: true });

  const uploadDetail = '{imported} new, {alreadyIn} already in, {rejected} rejected';
  const uploading = new Progress('upload', 'files', uploadDetail, options.plainProgressIntervalMs);
  const counts = () => ({ imported: summary.imported, alreadyIn: summary.alreadyIn, rejected: summary.rejected.length });
  uploading.start(files.length, 0, counts());
  try {
    for (const [index, file] of files.entries()) {
      const path = join(folder, file);
      const sha256 = await sha256OfFile(path);
      const existing = known.get(sha256);
      if (existing) {
        summary.alreadyIn++;
        photoIds.add(existing);
      } else {
        const temp = join(incoming, `import-${randomUUID()}`);
        await copyFile(path, temp);
        // The upload path takes file names, not paths; `export --folder` finds paths again by content.
        const [result] = await upload.accept(options.userId, [{ path: temp, originalName: basename(file) }]).catch(async (error: unknown) => {
          await rm(temp, { force: true });
          throw error;
        });
        if (result.outcome === 'rejected') summary.rejected.push({ file, reason: result.error });
        else {
          if (result.outcome === 'accepted') summary.imported++;
          else summary.alreadyIn++;
          known.set(sha256, result.photoId);
          photoIds.add(result.photoId);
        }
      }
      uploading.update(index + 1, counts());
    }
  } finally {
    uploading.stop();
  }

  if (options.wait && photoIds.size > 0) summary.processing = await waitForProcessing(photos, [...photoIds], options);
  summary.seconds = (performance.now() - startedAt) / 1000;
  return summary;
}

async function waitForProcessing(
  photos: PhotoRepository,
  photoIds: string[],
  options: FolderImportOptions,
): Promise<PhotoProgress & { timedOut: boolean }> {
  const deadline = options.waitTimeoutMs === undefined ? Infinity : Date.now() + options.waitTimeoutMs;
  const finished = (progress: PhotoProgress) => progress.byStatus.done + progress.byStatus.failed;
  let progress = await photos.progressOf(photoIds);
  const processing = new Progress('process', 'photos', '{faces} faces, {failed} failed', options.plainProgressIntervalMs);
  const payload = () => ({ faces: progress.faces, failed: progress.byStatus.failed });
  processing.start(photoIds.length, finished(progress), payload());
  try {
    while (finished(progress) < photoIds.length && Date.now() < deadline) {
      await sleep(500);
      progress = await photos.progressOf(photoIds);
      processing.update(finished(progress), payload());
    }
  } finally {
    processing.stop();
  }
  return { ...progress, timedOut: finished(progress) < photoIds.length };
}

export function formatSummary(summary: FolderImportSummary): string {
  const lines = [
    `imported ${summary.folder} for user ${summary.userId}: ${summary.files} photo file(s): ${summary.imported} new, ` +
      `${summary.alreadyIn} already in, ${summary.rejected.length} rejected` +
      (summary.ignored ? `; ${summary.ignored} other file(s) ignored` : ''),
  ];
  for (const { file, reason } of summary.rejected.slice(0, 20)) lines.push(`  rejected ${file}: ${reason}`);
  if (summary.rejected.length > 20) lines.push(`  … and ${summary.rejected.length - 20} more rejected`);
  const processing = summary.processing;
  if (processing) {
    const { done, failed, queued, processing: inProgress } = processing.byStatus;
    lines.push(
      `processed: ${done} done, ${failed} failed` +
        (processing.timedOut ? `, ${queued + inProgress} still waiting (gave up waiting)` : '') +
        `; ${processing.faces} face(s) found`,
    );
  }
  lines.push(`took ${summary.seconds.toFixed(1)} s`);
  return lines.join('\n');
}
