import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import {
  decodeMemoryBudgetState,
  decodeMemoryEstimate,
  decodeMemoryInUse,
  decodeMemoryProblem,
  withDecodeMemory,
} from './decode-memory';

const MiB = 1024 * 1024;

const jpeg = (options: sharp.JpegOptions, width = 400, height = 300) =>
  sharp({ create: { width, height, channels: 3, background: '#567' } }).jpeg(options).toBuffer();

test('a progressive JPEG costs 2 bytes per pixel per full-resolution plane; a baseline JPEG is streamed', async () => {
  const pixels = 400 * 300;
  const progressive444 = await sharp(await jpeg({ progressive: true, chromaSubsampling: '4:4:4' })).metadata();
  assert.deepEqual(decodeMemoryEstimate(progressive444), { bytes: pixels * 2 * 3, kind: 'progressive JPEG' });
  const progressive420 = await sharp(await jpeg({ progressive: true, chromaSubsampling: '4:2:0' })).metadata();
  assert.equal(decodeMemoryEstimate(progressive420)?.bytes, pixels * 2 * 1.5);
  const grey = await sharp(await sharp(await jpeg({})).toColourspace('b-w').jpeg({ progressive: true }).toBuffer()).metadata();
  assert.equal(decodeMemoryEstimate(grey)?.bytes, pixels * 2);
  assert.equal(decodeMemoryEstimate(await sharp(await jpeg({ chromaSubsampling: '4:4:4' })).metadata()), undefined);
});

test('an interlaced PNG costs its whole decoded image; a plain PNG and a WebP are streamed', async () => {
  const image = sharp({ create: { width: 200, height: 100, channels: 3, background: '#567' } });
  const interlaced = await sharp(await image.clone().png({ progressive: true }).toBuffer()).metadata();
  assert.deepEqual(decodeMemoryEstimate(interlaced), { bytes: 200 * 100 * 3, kind: 'interlaced PNG' });
  assert.equal(decodeMemoryEstimate(await sharp(await image.clone().png().toBuffer()).metadata()), undefined);
  assert.equal(decodeMemoryEstimate(await sharp(await image.clone().webp().toBuffer()).metadata()), undefined);
});

test('decodeMemoryProblem names the kind, the size, the need and the limit, only over the limit', () => {
  const header = { format: 'jpeg' as const, width: 10000, height: 10000, channels: 3 as const, isProgressive: true, chromaSubsampling: '4:4:4' };
  assert.equal(
    decodeMemoryProblem(header, 512 * MiB),
    'progressive JPEG of 10000×10000 pixels needs about 573 MiB to decode, over the limit of 512 MiB',
  );
  assert.equal(decodeMemoryProblem(header, 600 * MiB), undefined);
  assert.equal(decodeMemoryProblem({ ...header, isProgressive: false }, 1), undefined);
});

test('withDecodeMemory runs decodes that together exceed the limit one after the other', async () => {
  const running: string[] = [];
  let overlapped = false;
  const decode = (name: string) => async () => {
    running.push(name);
    if (running.length > 1) overlapped = true;
    await new Promise((resolve) => setTimeout(resolve, 30));
    running.splice(running.indexOf(name), 1);
    return name;
  };
  const results = await Promise.all([
    withDecodeMemory(60 * MiB, 100 * MiB, decode('a')),
    withDecodeMemory(60 * MiB, 100 * MiB, decode('b')),
    withDecodeMemory(60 * MiB, 100 * MiB, decode('c')),
  ]);
  assert.deepEqual(results, ['a', 'b', 'c']);
  assert.equal(overlapped, false);
  assert.equal(decodeMemoryInUse(), 0);

  // Under the limit together: they overlap. Streamed decodes (0 bytes) never wait.
  let active = 0;
  let mostActive = 0;
  await Promise.all(
    [40, 40, 0].map((mib) =>
      withDecodeMemory(mib * MiB, 100 * MiB, async () => {
        mostActive = Math.max(mostActive, ++active);
        await new Promise((resolve) => setTimeout(resolve, 30));
        active--;
      }),
    ),
  );
  assert.equal(mostActive, 3);
});

test('withDecodeMemory gives the memory back when the decode fails', async () => {
  await assert.rejects(withDecodeMemory(80 * MiB, 100 * MiB, async () => Promise.reject(new Error('corrupt'))), /corrupt/);
  assert.equal(decodeMemoryInUse(), 0);
  assert.equal(await withDecodeMemory(80 * MiB, 100 * MiB, async () => 'next'), 'next');
});

test('the budget is one per process: a decode on a worker thread waits for the main thread’s', async () => {
  // The thread adopts this thread's budget, as analyzer threads do, and asks for 60 of 100 MiB
  // while this thread holds 60: it may only start once this thread's decode is over.
  const events: string[] = [];
  let releaseMain!: () => void;
  const mainHolds = withDecodeMemory(60 * MiB, 100 * MiB, async () => {
    events.push('main started');
    await new Promise<void>((resolve) => (releaseMain = resolve));
    events.push('main done');
  });
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const budget = require(workerData.module);
     budget.adoptDecodeMemoryBudget(workerData.state);
     parentPort.postMessage('asking');
     void budget.withDecodeMemory(60 * 1024 * 1024, 100 * 1024 * 1024, async () => parentPort.postMessage('thread started'));`,
    { eval: true, workerData: { module: require.resolve('./decode-memory'), state: decodeMemoryBudgetState() } },
  );
  worker.on('message', (message: string) => events.push(message));
  const exited = new Promise((resolve) => worker.on('exit', resolve));
  await new Promise<void>((resolve) => worker.on('message', (message) => message === 'asking' && resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(events, ['main started', 'asking'], 'the thread waits while the main thread decodes');
  releaseMain();
  await mainHolds;
  await exited;
  assert.deepEqual(events, ['main started', 'asking', 'main done', 'thread started']);
  assert.equal(decodeMemoryInUse(), 0);
});
