/**
 * Suite "peer": our pipeline against @vladmandic/face-api, the Node library a user would pick
 * instead, on the same photos in the same run: detection + identity descriptors from JPEG bytes
 * (decode included for both), throughput, and detection recall on the labelled photos.
 *
 * The peer runs on tfjs's WebAssembly backend (what installs from npm without downloading native
 * binaries; single-threaded in Node): SSD MobileNet v1 (its default detector, min confidence 0.5)
 * + 68 landmarks + the 128-d ResNet descriptor. Ours runs FaceAnalyzer.analyzeMany in
 * micro-batches (MTCNN, alignment, MobileFaceNet with flip, thumbnails, quality), once with
 * onnxruntime's default threads and once with one thread, for a per-core comparison. Photos are
 * taken in turns (ours, peer, ours on one thread) so machine load hits all alike.
 *
 *   --dataset <dir>   photos laid out as people/<id>/*, groups/, noface/ (default: the dev set)
 *   --limit <n>       photos (default all; --quick 40)
 *   --batch <n>       photos per analyzeMany call (default 8)
 */
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { FaceAnalyzer, type FaceAnalyzerOptions } from '@facecloud/vision';
import { serveBenchTask } from './child-task';
import { chunk, DEFAULT_DATASET, defaultModelsDir, positiveInteger, readPhotos, round, suiteOptions, type PhotoFile } from './photos';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

/** The little of face-api's API used here (its bundled typings pull in all of tfjs). */
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    getBackend(): string;
    tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
  };
  nets: Record<'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet', { loadFromDisk(dir: string): Promise<void> }>;
  SsdMobilenetv1Options: new (options: { minConfidence: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): {
    withFaceLandmarks(): { withFaceDescriptors(): Promise<Array<{ descriptor: Float32Array }>> };
  };
  version: string;
}

/** Peer's working size: the same long-side limit as ours, so both see the same pixels. */
const MAX_SIDE = 1024;

interface Side {
  name: string;
  milliseconds: number;
  /** Faces found per photo. */
  faces: number[];
}

export const peerSuite: BenchSuite = {
  name: 'peer',
  description: 'ours vs @vladmandic/face-api (tfjs WASM): detection + descriptors, throughput and recall',
  async run(context: BenchContext): Promise<BenchOutcome> {
    const values = suiteOptions(context.argv, { dataset: 'string', limit: 'string', batch: 'string' });
    const limit = values.limit ? positiveInteger(values.limit, '--limit') : context.quick ? 40 : Infinity;
    const batchSize = positiveInteger(values.batch ?? 8, '--batch');
    const photos = await readPhotos(String(values.dataset ?? DEFAULT_DATASET), limit);

    const faceApi = await loadPeer();
    const options: FaceAnalyzerOptions = {
      modelsDir: defaultModelsDir(),
      runtime: { provider: 'cpu' },
      decode: { maxSide: MAX_SIDE, maxInputPixels: 100_000_000 },
    };
    const ours = await FaceAnalyzer.create(options);
    const oursOneThread = await FaceAnalyzer.create({ ...options, runtime: { provider: 'cpu', intraOpThreads: 1 } });
    try {
      const batches = chunk(photos, batchSize);
      // Warm-up, untimed: first runs allocate memory and compile kernels.
      await ours.analyzeMany(batches[0].map((photo) => photo.bytes));
      await oursOneThread.analyzeMany(batches[0].map((photo) => photo.bytes));
      await peerDetect(faceApi, batches[0][0]);

      const sides: Side[] = [
        { name: 'ours (onnxruntime, 2 threads)', milliseconds: 0, faces: [] },
        { name: '@vladmandic/face-api (tfjs WASM, 1 thread)', milliseconds: 0, faces: [] },
        { name: 'ours, 1 onnxruntime thread', milliseconds: 0, faces: [] },
      ];
      for (const [index, batch] of batches.entries()) {
        sides[0].milliseconds += await timed(async () => sides[0].faces.push(...(await ourFaces(ours, batch))));
        sides[1].milliseconds += await timed(async () => {
          for (const photo of batch) sides[1].faces.push(await peerDetect(faceApi, photo));
        });
        sides[2].milliseconds += await timed(async () => sides[2].faces.push(...(await ourFaces(oursOneThread, batch))));
        if (index % 8 === 7) context.progress(`${Math.min(photos.length, (index + 1) * batchSize)}/${photos.length} photos`);
      }
      return outcome(photos, sides, faceApi.version);
    } finally {
      await ours.close();
      await oursOneThread.close();
    }
  },
};

export async function loadPeer(): Promise<FaceApi> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dev dependency, loaded only by this suite
  const faceApi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  await faceApi.tf.setBackend('wasm');
  await faceApi.tf.ready();
  const modelDir = `${dirname(require.resolve('@vladmandic/face-api/package.json'))}/model`;
  await faceApi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceApi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceApi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  return faceApi;
}

/** The peer's faces on one photo: decode (sharp, EXIF-rotated, long side ≤ 1024), detect, landmarks, descriptors. */
export async function peerDetect(faceApi: FaceApi, photo: PhotoFile): Promise<number> {
  const { data, info } = await sharp(photo.bytes, { autoOrient: true })
    .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = faceApi.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
  try {
    const faces = await faceApi
      .detectAllFaces(input, new faceApi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    return faces.length;
  } finally {
    input.dispose();
  }
}

async function ourFaces(analyzer: FaceAnalyzer, batch: readonly PhotoFile[]): Promise<number[]> {
  const analyses = await analyzer.analyzeMany(batch.map((photo) => photo.bytes));
  return analyses.map((analysis) => {
    if (analysis instanceof Error) throw analysis;
    return analysis.faces.length;
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

interface Recall {
  labelled: number;
  found: number;
  groupFaces: number;
  nofacePhotos: number;
  nofaceWithFaces: number;
}

/** Labelled photos (people/, blurry/) with at least one face; faces on groups/; no-face photos with a detection. */
function recall(photos: readonly PhotoFile[], faces: readonly number[]): Recall {
  const kind = (photo: PhotoFile) => photo.name.split(/[\\/]/)[0];
  const result: Recall = { labelled: 0, found: 0, groupFaces: 0, nofacePhotos: 0, nofaceWithFaces: 0 };
  photos.forEach((photo, index) => {
    if (kind(photo) === 'people' || kind(photo) === 'blurry') {
      result.labelled++;
      if (faces[index] > 0) result.found++;
    } else if (kind(photo) === 'groups') {
      result.groupFaces += faces[index];
    } else if (kind(photo) === 'noface') {
      result.nofacePhotos++;
      if (faces[index] > 0) result.nofaceWithFaces++;
    }
  });
  return result;
}

function outcome(photos: readonly PhotoFile[], sides: readonly Side[], peerVersion: string): BenchOutcome {
  const recalls = sides.map((side) => recall(photos, side.faces));
  const peer = sides[1];
  const rows = [
    ['pipeline', 'photos/s', 'faces/s', 'ms/photo', 'ours/peer throughput', 'labelled photos with a face', 'group faces', 'no-face photos with a face'],
    ...sides.map((side, index) => {
      const total = side.faces.reduce((sum, count) => sum + count, 0);
      const r = recalls[index];
      return [
        side.name,
        ((photos.length / side.milliseconds) * 1000).toFixed(1),
        ((total / side.milliseconds) * 1000).toFixed(1),
        (side.milliseconds / photos.length).toFixed(1),
        `${(peer.milliseconds / side.milliseconds).toFixed(2)}×`,
        r.labelled ? `${r.found}/${r.labelled} (${((100 * r.found) / r.labelled).toFixed(1)} %)` : 'n/a',
        String(r.groupFaces),
        `${r.nofaceWithFaces}/${r.nofacePhotos}`,
      ];
    }),
  ];
  return {
    tables: [
      {
        title: `Ours vs @vladmandic/face-api ${peerVersion}: ${photos.length} photos, decode + detection + descriptors, long side ≤ ${MAX_SIDE} px`,
        rows,
        notes: [
          'ours: MTCNN + MobileFaceNet 192-d with flip, aligned thumbnails and quality; peer: SSD MobileNet v1 (min confidence 0.5) + 68 landmarks + 128-d ResNet descriptor',
          'ours/peer throughput = peer time / our time on the same photos (higher = ours faster)',
          'the peer\'s WASM backend is single-threaded in Node; "ours, 1 onnxruntime thread" is the per-core comparison',
        ],
      },
    ],
    json: {
      photos: photos.length,
      peer: { package: '@vladmandic/face-api', version: peerVersion, backend: 'tfjs wasm', detector: 'ssdMobilenetv1 minConfidence 0.5' },
      sides: sides.map((side, index) => ({
        name: side.name,
        totalMs: round(side.milliseconds, 0),
        photosPerSecond: round((photos.length / side.milliseconds) * 1000, 2),
        faces: side.faces.reduce((sum, count) => sum + count, 0),
        throughputVsPeer: round(peer.milliseconds / side.milliseconds, 3),
        recall: recalls[index],
      })),
    },
  };
}

/** The peer over several processes (one per core: its WASM backend is single-threaded), each on its share of the photos. */
export interface PeerProcessesResult {
  processes: number;
  photos: number;
  faces: number;
  /** From "go" (every process has read its photos and loaded its models) to the last process done. */
  wallMs: number;
}

type PeerChildMessage = { type: 'ready' } | { type: 'report'; report: number } | { type: 'error'; error: string };

/**
 * Runs the peer on `paths` in `processes` child processes (this module as their entry point),
 * photos dealt out in turn. Each reads its photos and loads its models before "go" (`onGo` is
 * called just before it), and runs nothing before it, as a freshly started server has run nothing.
 */
export async function runPeerProcesses(paths: readonly string[], processes: number, onGo: () => void = () => undefined): Promise<PeerProcessesResult> {
  const children = Array.from({ length: processes }, (_, index) => {
    const child = fork(join(__dirname, 'peer.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`peer process exited with ${code}`))));
    const next = (type: 'ready' | 'report') =>
      Promise.race([
        exited,
        new Promise<PeerChildMessage>((resolve, reject) =>
          child.on('message', (message: PeerChildMessage) => {
            if (message.type === 'error') reject(new Error(`peer process failed: ${message.error}`));
            if (message.type === type) resolve(message);
          }),
        ),
      ]);
    const ready = next('ready');
    const done = next('report');
    done.catch(() => undefined); // awaited after "go"; a failure before that rejects `ready` too
    child.send({ type: 'task', task: paths.filter((_, photo) => photo % processes === index) });
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map(({ ready }) => ready));
    onGo();
    const started = performance.now();
    for (const { child } of children) child.send({ type: 'go' });
    const reports = await Promise.all(children.map(({ done }) => done));
    const wallMs = performance.now() - started;
    return { processes, photos: paths.length, faces: reports.reduce((sum, message) => sum + (message.type === 'report' ? message.report : 0), 0), wallMs };
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill();
  }
}

/** A peer process of runPeerProcesses (served by serveBenchTask): photos, then models, "ready"; on "go" every photo; reports the faces found. */
async function peerProcess(paths: readonly string[], go: Promise<void>): Promise<number> {
  const photos: PhotoFile[] = await Promise.all(paths.map(async (path) => ({ name: path, bytes: await readFile(path) })));
  const faceApi = await loadPeer();
  process.send?.({ type: 'ready' });
  await go;
  let faces = 0;
  for (const photo of photos) faces += await peerDetect(faceApi, photo);
  return faces;
}

if (require.main === module) serveBenchTask(peerProcess);
