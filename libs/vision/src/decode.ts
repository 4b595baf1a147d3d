import sharp from 'sharp';
import { DEFAULT_DECODE_MAX_MEMORY_BYTES, decodeMemoryEstimate, decodeMemoryProblem, withDecodeMemory } from './decode-memory';
import type { RgbImage } from './image';

/** The photo could not be turned into pixels: corrupt, unsupported format, or too many pixels. */
export class ImageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

export interface DecodeOptions {
  /** Working resolution: the long side is shrunk to at most this many pixels (never enlarged). */
  maxSide: number;
  /** Refuse inputs whose declared width × height exceeds this (decompression bombs). */
  maxInputPixels: number;
  /**
   * Decoder memory for images that cannot be streamed (progressive JPEG, interlaced PNG,
   * HEIF): one over this is refused, and the decodes of the process together stay under it,
   * waiting for each other (decode-memory.ts). Default DEFAULT_DECODE_MAX_MEMORY_BYTES.
   */
  maxMemoryBytes?: number;
}

export interface DecodedPhoto {
  /** The working image: EXIF-rotated, shrunk to maxSide, packed RGB. */
  image: RgbImage;
  /** Size of the original photo after EXIF rotation. */
  originalWidth: number;
  originalHeight: number;
  /** Working pixels per original pixel (long-side ratio, ≤ 1). */
  scale: number;
}

/** Raster formats people upload as photos; vector/document formats (svg, pdf) are refused. */
const SUPPORTED_FORMATS = new Set<string>(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif']);

export async function decodePhoto(input: Buffer, opts: DecodeOptions): Promise<DecodedPhoto> {
  validateOptions(opts);
  if (input.length === 0) throw new ImageDecodeError('empty image data');

  // One pipeline for metadata and pixels: autoOrient applies the EXIF rotation, and
  // limitInputPixels is checked by libvips against the header before any decoding.
  const pipeline = sharp(input, { autoOrient: true, limitInputPixels: opts.maxInputPixels, failOn: 'error' });

  const metadata = await pipeline.metadata().catch((error: unknown) => {
    throw new ImageDecodeError(`cannot read image header: ${errorMessage(error)}`, { cause: error });
  });
  if (!SUPPORTED_FORMATS.has(metadata.format)) {
    throw new ImageDecodeError(`unsupported image format '${metadata.format}'`);
  }
  if (metadata.width * metadata.height > opts.maxInputPixels) {
    // Checked here as well so the message is ours rather than libvips' wording.
    throw new ImageDecodeError(
      `image has ${metadata.width}x${metadata.height} pixels, more than the limit of ${opts.maxInputPixels}`,
    );
  }
  const maxMemoryBytes = opts.maxMemoryBytes ?? DEFAULT_DECODE_MAX_MEMORY_BYTES;
  const memoryProblem = decodeMemoryProblem(metadata, maxMemoryBytes);
  if (memoryProblem) throw new ImageDecodeError(memoryProblem);
  const originalWidth = metadata.autoOrient.width;
  const originalHeight = metadata.autoOrient.height;

  const decodeBytes = decodeMemoryEstimate(metadata)?.bytes ?? 0;
  const { data, info } = await withDecodeMemory(decodeBytes, maxMemoryBytes, () => pipeline
    // For JPEG, a downscaling resize lets libjpeg decode at 1/2, 1/4 or 1/8 size (shrink-on-load).
    .resize({ width: opts.maxSide, height: opts.maxSide, fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace('srgb') // greyscale and CMYK become 3-channel sRGB
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw new ImageDecodeError(`cannot decode image: ${errorMessage(error)}`, { cause: error });
    }),
  );
  if (info.channels !== 3) {
    throw new ImageDecodeError(`decoder produced ${info.channels} channels instead of 3`);
  }

  return {
    image: { data, width: info.width, height: info.height },
    originalWidth,
    originalHeight,
    scale: Math.max(info.width, info.height) / Math.max(originalWidth, originalHeight),
  };
}

function validateOptions(opts: DecodeOptions): void {
  if (!Number.isInteger(opts.maxSide) || opts.maxSide < 1) {
    throw new RangeError(`maxSide must be a positive integer, got ${opts.maxSide}`);
  }
  if (!Number.isInteger(opts.maxInputPixels) || opts.maxInputPixels < 1) {
    throw new RangeError(`maxInputPixels must be a positive integer, got ${opts.maxInputPixels}`);
  }
  if (opts.maxMemoryBytes !== undefined && !(Number.isInteger(opts.maxMemoryBytes) && opts.maxMemoryBytes >= 1)) {
    throw new RangeError(`maxMemoryBytes must be a positive integer, got ${opts.maxMemoryBytes}`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
