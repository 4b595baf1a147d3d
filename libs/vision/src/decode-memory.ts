/**
 * Decoder memory: what one image costs to decode, and a budget that the decodes of a whole
 * process share.
 *
 * libvips streams most images through a few lines or tiles and shrinks JPEGs on load, so a
 * 100 MP baseline JPEG, WebP, TIFF or plain PNG costs tens of MiB whatever its size. Some
 * encodings cannot be streamed and cost memory in proportion to their pixels, shrink or not:
 * - a progressive JPEG keeps every DCT coefficient of the whole image until the last scan:
 *   2 bytes per pixel per full-resolution component (10000×10000 at 4:4:4: 572 MiB);
 * - an interlaced (Adam7) PNG is decoded whole: width × height × channels × bytes per sample;
 * - libheif decodes a HEIF/AVIF image whole (planes, RGB image, copies): about 18 bytes per
 *   pixel, measured from 4 to 36 MP.
 * The figures match the measured growth of the process (npm run bench -- decode-memory).
 */
import sharp, { type Metadata } from 'sharp';

// libvips keeps its last 100 operations for reuse, and a cached JPEG load keeps its decoder,
// progressive coefficients included, uncounted by the cache's 50 MB limit: each progressive
// 10000×10000 JPEG decoded left 300–570 MiB behind until evicted. Photos are decoded once per
// request, never reused, so the cache only ever held memory. (Process-wide: set wherever this
// module is loaded, i.e. by every path that decodes user images.)
sharp.cache(false);

/** Default limit of decoder memory per process (DECODE_MAX_MEMORY_BYTES): 512 MiB. */
export const DEFAULT_DECODE_MAX_MEMORY_BYTES = 512 * 1024 * 1024;

const MiB = 1024 * 1024;
const HEIF_BYTES_PER_PIXEL = 18;

export interface DecodeMemoryEstimate {
  /** Memory the decoder holds at once for the whole image, in bytes. */
  bytes: number;
  /** What makes the image expensive, for messages: "progressive JPEG". */
  kind: string;
}

type ImageHeader = Pick<Metadata, 'format' | 'width' | 'height' | 'channels' | 'isProgressive' | 'chromaSubsampling'> &
  Partial<Pick<Metadata, 'depth'>>;

/** The whole-image memory a decode of this image needs; undefined when libvips streams it. */
export function decodeMemoryEstimate(header: ImageHeader): DecodeMemoryEstimate | undefined {
  const pixels = (header.width ?? 0) * (header.height ?? 0);
  if (header.format === 'jpeg' && header.isProgressive) {
    return { bytes: pixels * 2 * jpegComponentPlanes(header.channels ?? 3, header.chromaSubsampling), kind: 'progressive JPEG' };
  }
  if (header.format === 'png' && header.isProgressive) {
    const bytesPerSample = header.depth === 'ushort' ? 2 : 1;
    return { bytes: pixels * (header.channels ?? 4) * bytesPerSample, kind: 'interlaced PNG' };
  }
  if (header.format === 'heif') return { bytes: pixels * HEIF_BYTES_PER_PIXEL, kind: 'HEIF/AVIF image' };
  return undefined;
}

/**
 * Full-resolution planes' worth of coefficients in a JPEG: luma (and K) whole, each chroma
 * plane by its subsampling ("4:2:0": a quarter). No subsampling given: the worst, 4:4:4.
 */
function jpegComponentPlanes(channels: number, chromaSubsampling: string | undefined): number {
  if (channels < 3) return channels;
  const [j, a, b] = (chromaSubsampling ?? '4:4:4').split(':').map(Number);
  const chromaShare = j > 0 && a >= 0 && b >= 0 ? Math.min(1, (a + b) / (2 * j)) : 1;
  return 1 + 2 * chromaShare + (channels >= 4 ? 1 : 0);
}

/** Why an image is refused for its decoder memory, or undefined when it fits `limitBytes`. */
export function decodeMemoryProblem(header: ImageHeader, limitBytes: number): string | undefined {
  const estimate = decodeMemoryEstimate(header);
  if (!estimate || estimate.bytes <= limitBytes) return undefined;
  return (
    `${estimate.kind} of ${header.width}×${header.height} pixels needs about ${Math.ceil(estimate.bytes / MiB)} MiB to decode, ` +
    `over the limit of ${Math.floor(limitBytes / MiB)} MiB`
  );
}

/**
 * KiB of decoder memory in use in this process, shared by the main thread and the analyzer
 * threads (FaceAnalyzerPool hands the buffer to each: a budget per thread would multiply by
 * the threads). Hand-written: the semaphore libraries (async-mutex, p-limit) count within one
 * JavaScript thread only.
 */
let usedKiB = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

/** This process's budget state, for worker threads to adopt. */
export function decodeMemoryBudgetState(): SharedArrayBuffer {
  return usedKiB.buffer as SharedArrayBuffer;
}

/** Makes this thread count against the budget of the thread that created `state`. */
export function adoptDecodeMemoryBudget(state: SharedArrayBuffer): void {
  usedKiB = new Int32Array(state);
}

/** Decoder memory in use in this process now, in bytes (for tests and metrics). */
export function decodeMemoryInUse(): number {
  return Atomics.load(usedKiB, 0) * 1024;
}

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Runs `decode` once `bytes` of decoder memory fit in `limitBytes` together with the decodes
 * already running in this process (it waits for them otherwise). An estimate over the limit
 * counts as the whole limit, so it runs alone; callers refuse such images first.
 */
export async function withDecodeMemory<T>(bytes: number, limitBytes: number, decode: () => Promise<T>): Promise<T> {
  const limit = Math.max(1, Math.floor(limitBytes / 1024));
  const units = Math.min(limit, Math.ceil(bytes / 1024));
  if (units <= 0) return decode();
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  for (;;) {
    const used = Atomics.load(usedKiB, 0);
    if (used + units <= limit) {
      if (Atomics.compareExchange(usedKiB, 0, used, used + units) === used) break;
      continue;
    }
    const wait = waitAsync(usedKiB, 0, used);
    if (!wait.async) continue;
    // A pending waitAsync does not keep Node's event loop alive; a timer does meanwhile.
    const keepAlive = setInterval(() => undefined, 60_000);
    await wait.value.finally(() => clearInterval(keepAlive));
  }
  const counter = usedKiB;
  try {
    return await decode();
  } finally {
    Atomics.sub(counter, 0, units);
    Atomics.notify(counter, 0);
  }
}
