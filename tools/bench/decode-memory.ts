/**
 * Decoder memory under hostile images: peak RSS of a real all-in-one process (embedded
 * database, default analyzer threads) while it takes uploads of 10000×10000 JPEGs, ingests
 * them and renders their previews, one or several at once. Each case starts a fresh process,
 * so one case's memory (or the allocator's leftovers) never shows in another's.
 *
 * Phases, each with its own peak (VmHWM, reset between phases):
 *   upload   N parallel POST /photos, one image each (the API's checks decode the image);
 *   ingest   until every accepted photo is done or failed (the worker decodes it);
 *   preview  N parallel GET /photos/:id/preview (1024 px) of the accepted photos.
 *
 *   npm run bench -- decode-memory [--quick] [--side 10000]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { startService, type RunningService } from '../support/service-process';
import { asUser, provisionUsers } from '../support/api-users';
import { processMemory, resetPeakRss } from '../support/process-memory';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

type Encoding = 'progressive 4:4:4' | 'baseline 4:4:4' | 'progressive 4:2:0';

interface DecodeCase {
  encoding: Encoding;
  /** Images sent at once (distinct images: identical bytes would be deduplicated). */
  parallel: number;
  /** Settings of the process on top of the defaults, shown with the row. */
  env?: Record<string, string>;
}

interface PhaseResult {
  seconds: number;
  /** Peak RSS of the process during the phase, MiB. */
  peakRssMiB: number;
  /** HTTP statuses (upload, preview) or photo statuses (ingest), counted. */
  outcomes: Record<string, number>;
}

interface CaseResult extends DecodeCase {
  side: number;
  fileBytes: number[];
  startRssMiB: number;
  upload: PhaseResult;
  ingest: PhaseResult;
  preview: PhaseResult;
  /** Highest of the three phases' peaks, above the RSS at the start. */
  peakAboveStartMiB: number;
  refusals: string[];
}

const USER = 'decode-bench';

const ENCODER_OPTIONS: Record<Encoding, sharp.JpegOptions> = {
  'progressive 4:4:4': { progressive: true, chromaSubsampling: '4:4:4' },
  'baseline 4:4:4': { chromaSubsampling: '4:4:4' },
  'progressive 4:2:0': { progressive: true, chromaSubsampling: '4:2:0' },
};

/** Distinct flat colours: the decoder's memory does not depend on what the pixels show. */
const COLOURS = ['#567', '#765', '#657', '#576'];

export const decodeMemorySuite: BenchSuite = {
  name: 'decode-memory',
  description: 'peak RSS of an all-in-one process uploading, ingesting and previewing 10000×10000 JPEGs (progressive and baseline, 1 or 4 at once)',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const { values } = parseArgs({ args: context.argv, options: { side: { type: 'string', default: '10000' } }, strict: false });
    const side = Number(values.side);
    if (!Number.isInteger(side) || side < 16) throw new Error(`--side must be an integer ≥ 16, got ${values.side}`);
    const cases: DecodeCase[] = context.quick
      ? [
          { encoding: 'progressive 4:4:4', parallel: 1 },
          { encoding: 'baseline 4:4:4', parallel: 1 },
        ]
      : [
          { encoding: 'progressive 4:4:4', parallel: 1 },
          { encoding: 'progressive 4:4:4', parallel: 4 },
          { encoding: 'baseline 4:4:4', parallel: 1 },
          { encoding: 'baseline 4:4:4', parallel: 4 },
          { encoding: 'progressive 4:2:0', parallel: 4 },
          // The same with a limit no decode reaches: what the shared limit saves when they come at once.
          { encoding: 'progressive 4:2:0', parallel: 4, env: { DECODE_MAX_MEMORY_BYTES: String(64 * 1024 ** 3) } },
        ];
    const imagesDir = await mkdtemp(join(tmpdir(), 'facecloud-decode-bench-'));
    const results: CaseResult[] = [];
    try {
      const images = new Map<Encoding, string[]>();
      for (const { encoding, parallel } of cases) {
        const paths = images.get(encoding) ?? [];
        for (let index = paths.length; index < parallel; index++) {
          context.progress(`encoding ${encoding} ${side}×${side} #${index + 1}`);
          const path = join(imagesDir, `${encoding.replace(/[^a-z0-9]+/g, '-')}-${index}.jpg`);
          await writeFile(
            path,
            await sharp({ create: { width: side, height: side, channels: 3, background: COLOURS[index % COLOURS.length] } })
              .jpeg(ENCODER_OPTIONS[encoding])
              .toBuffer(),
          );
          paths.push(path);
        }
        images.set(encoding, paths);
      }
      for (const decodeCase of cases) {
        context.progress(`${decodeCase.encoding} ×${decodeCase.parallel}: fresh all-in-one process`);
        results.push(await measureCase(decodeCase, side, images.get(decodeCase.encoding)!.slice(0, decodeCase.parallel)));
      }
    } finally {
      await rm(imagesDir, { recursive: true, force: true });
    }

    const counted = (outcomes: Record<string, number>) =>
      Object.entries(outcomes)
        .map(([outcome, count]) => `${count}×${outcome}`)
        .join(' ') || '—';
    const rows = [
      ['image', 'at once', 'file MB', 'RSS at start MiB', 'upload', 'peak upload MiB', 'ingest', 'peak ingest MiB', 'preview', 'peak preview MiB', 'peak above start MiB', 'seconds up/ingest/preview'],
      ...results.map((result) => [
        `${result.encoding} ${result.side}×${result.side}${Object.entries(result.env ?? {}).map(([name, value]) => `, ${name}=${value}`).join('')}`,
        String(result.parallel),
        (result.fileBytes[0] / 1e6).toFixed(2),
        result.startRssMiB.toFixed(0),
        counted(result.upload.outcomes),
        result.upload.peakRssMiB.toFixed(0),
        counted(result.ingest.outcomes),
        result.ingest.peakRssMiB.toFixed(0),
        counted(result.preview.outcomes),
        result.preview.peakRssMiB.toFixed(0),
        result.peakAboveStartMiB.toFixed(0),
        [result.upload, result.ingest, result.preview].map((phase) => phase.seconds.toFixed(1)).join(' / '),
      ]),
    ];
    const notes = [
      'each row: a fresh all-in-one process (embedded database, default settings); peak = VmHWM of that process, reset between phases',
      'upload: N parallel POST /photos (one image each); ingest: until every accepted photo is done/failed; preview: N parallel GET /photos/:id/preview',
      'seconds are from a shared machine: indicative only',
      ...results.flatMap((result) => result.refusals.map((refusal) => `${result.encoding} ×${result.parallel}: ${refusal}`)),
    ];
    return { tables: [{ title: `Decoder memory: ${side}×${side} JPEGs through upload, ingest and preview`, rows, notes }], json: { side, results } };
  },
};

async function measureCase(decodeCase: DecodeCase, side: number, paths: string[]): Promise<CaseResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-decode-bench-data-'));
  let service: RunningService | undefined;
  try {
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
      CLUSTER_INTERVAL_SECONDS: '3600',
      WORKER_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'info',
      ...decodeCase.env,
    };
    await provisionUsers(env, [USER]);
    service = await startService('all-in-one', env, 120_000);
    const { baseUrl, pid } = service;
    // Let start-up settle (models loaded, threads started) before the baseline is read.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const startRssMiB = (await processMemory(pid))!.rssMiB;
    const refusals: string[] = [];
    const fileBytes: number[] = [];

    const phase = async (run: () => Promise<Record<string, number>>): Promise<PhaseResult> => {
      await resetPeakRss(pid);
      const started = performance.now();
      const outcomes = await run();
      const seconds = (performance.now() - started) / 1000;
      return { seconds, peakRssMiB: (await processMemory(pid))!.peakRssMiB, outcomes };
    };
    const count = (values: string[]) => values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});

    const photoIds: string[] = [];
    const upload = await phase(async () => {
      const statuses = await Promise.all(
        paths.map(async (path, index) => {
          const bytes = await readFile(path);
          fileBytes[index] = bytes.length;
          const form = new FormData();
          form.append('photos', new Blob([bytes], { type: 'image/jpeg' }), `hostile-${index}.jpg`);
          const response = await fetch(`${baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(USER) });
          const body = (await response.json()) as { photos?: Array<{ photoId?: string; error?: string }>; message?: string };
          for (const photo of body.photos ?? []) {
            if (photo.photoId) photoIds.push(photo.photoId);
            if (photo.error) refusals.push(`upload ${response.status}: ${photo.error}`);
          }
          return String(response.status);
        }),
      );
      return count(statuses);
    });
    const ingest = await phase(async () => {
      const statuses = await Promise.all(photoIds.map((id) => waitProcessed(baseUrl!, id, refusals)));
      return count(statuses);
    });
    const preview = await phase(async () => {
      const statuses = await Promise.all(
        photoIds.map(async (id) => {
          const response = await fetch(`${baseUrl}/photos/${id}/preview?size=1024`, { headers: asUser(USER) });
          const body = Buffer.from(await response.arrayBuffer());
          if (response.status >= 400) refusals.push(`preview ${response.status}: ${body.toString('utf8').slice(0, 200)}`);
          return String(response.status);
        }),
      );
      return count(statuses);
    });
    const peak = Math.max(upload.peakRssMiB, ingest.peakRssMiB, preview.peakRssMiB);
    return { ...decodeCase, side, fileBytes, startRssMiB, upload, ingest, preview, peakAboveStartMiB: peak - startRssMiB, refusals: [...new Set(refusals)] };
  } finally {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function waitProcessed(baseUrl: string, photoId: string, refusals: string[]): Promise<string> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const photo = (await (await fetch(`${baseUrl}/photos/${photoId}`, { headers: asUser(USER) })).json()) as { status: string; failureReason: string | null };
    if (photo.status === 'done' || photo.status === 'failed') {
      if (photo.failureReason) refusals.push(`ingest ${photo.status}: ${photo.failureReason}`);
      return photo.status;
    }
    if (Date.now() > deadline) throw new Error(`photo ${photoId} still ${photo.status} after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
