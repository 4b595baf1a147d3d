import { z } from 'zod';
import { faceView } from './people';
import { pageCursor, pageLimit } from './text';

/** Requests and answers of /photos. */

export const photoStatus = z.enum(['queued', 'processing', 'done', 'failed']);
export type PhotoStatus = z.infer<typeof photoStatus>;

export const listPhotosQuery = z.object({
  status: photoStatus.optional(),
  limit: pageLimit(200, 50),
  cursor: pageCursor,
});

export const previewQuery = z
  .object({ size: z.coerce.number().int().min(16).max(2048).default(1024).describe('longest side in pixels') });

export const photoSummary = z.object({
  id: z.uuid(),
  status: photoStatus,
  failureReason: z.string().nullable(),
  fileName: z.string().nullable(),
  contentType: z.string(),
  byteSize: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  faceCount: z.number().int().nullable(),
  uploadedAt: z.iso.datetime(),
  processedAt: z.iso.datetime().nullable(),
});
export type PhotoSummary = z.infer<typeof photoSummary>;

export const photosPage = z.object({ photos: z.array(photoSummary), nextCursor: z.string().nullable() });
export type PhotosPage = z.infer<typeof photosPage>;

/** A face on its photo: for drawing its box and landmarks. */
export const photoFace = faceView.extend({
  landmarks: z.array(z.object({ x: z.number(), y: z.number() })),
  score: z.number().describe('detection score'),
});
export type PhotoFace = z.infer<typeof photoFace>;

export const photoDetail = photoSummary.extend({ faces: z.array(photoFace) });
export type PhotoDetail = z.infer<typeof photoDetail>;

/** One file of an upload: stored as a new photo, already there, or refused with the reason. */
export const uploadResult = z.discriminatedUnion('outcome', [
  z.object({ fileName: z.string(), outcome: z.enum(['accepted', 'duplicate']), photoId: z.uuid(), status: photoStatus }),
  z.object({ fileName: z.string(), outcome: z.literal('rejected'), error: z.string() }),
]);
export type UploadResult = z.infer<typeof uploadResult>;
export const uploadResponse = z.object({ photos: z.array(uploadResult) });
export type UploadResponse = z.infer<typeof uploadResponse>;
