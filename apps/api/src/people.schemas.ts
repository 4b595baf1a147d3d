import { z } from 'zod';
import { faceCursorParam, personCursorParam } from '@facecloud/people';

/**
 * Request and response shapes of the people API, in zod: requests are validated with them
 * (ZodValidationPipe) and the OpenAPI document is generated from the same schemas.
 */

/**
 * Control characters (C0, DEL, C1) in text a client sends: never part of a name, and NUL
 * cannot be stored at all (PostgreSQL text), so such text is a 400, not a database error.
 */
const CONTROL_CHARACTER = /\p{Cc}/u;
/** A letter, digit, punctuation mark or symbol (emoji included): something a reader can see. */
const VISIBLE_CHARACTER = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** Refuses control characters in a text field; used by every field whose text reaches the database. */
export const withoutControlCharacters = <Schema extends z.ZodString>(schema: Schema) =>
  schema.refine((value) => !CONTROL_CHARACTER.test(value), { message: 'must not contain control characters' });

/** Zero-width and other invisible characters are allowed inside a name (emoji sequences, Persian), not as all of it. */
const personName = withoutControlCharacters(z.string().trim().min(1, 'name must not be blank').max(100)).refine(
  (value) => value === '' || VISIBLE_CHARACTER.test(value),
  { message: 'must contain a visible character' },
);
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const listPeopleQuery = z
  .object({
    limit: limit(200, 50),
    cursor: personCursorParam.optional().describe('nextCursor of the previous page'),
    sort: z.enum(['faces', 'name']).default('faces').describe('faces: most faces first; name: A-Z, unnamed last'),
    filter: z
      .enum(['visible', 'hidden', 'named', 'unnamed', 'all'])
      .default('visible')
      .describe('named and unnamed narrow the visible (not hidden) persons; all includes hidden ones'),
    q: withoutControlCharacters(z.string().trim().max(100))
      .optional()
      .transform((value) => value || undefined)
      .describe('case-insensitive substring of the name'),
  });

export const listFacesQuery = z
  .object({ limit: limit(200, 50), cursor: faceCursorParam.optional().describe('nextCursor of the previous page') });

export const similarQuery = z.object({ limit: limit(50, 10) });

export const previewQuery = z
  .object({ size: z.coerce.number().int().min(16).max(2048).default(1024).describe('longest side in pixels') });

export const updatePersonBody = z
  .object({
    name: personName.nullable().optional().describe('trimmed; null clears the name'),
    hidden: z.boolean().optional(),
    coverFaceId: z.uuid().nullable().optional().describe('one of the person\'s faces; null = best-quality face'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one of name, hidden, coverFaceId' });

export const mergeBody = z
  .object({
    personIds: z
      .array(z.uuid())
      .min(1)
      .max(50)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'personIds must not repeat an id' })
      .describe('persons to merge into this one'),
  })
  .strict();

export const moveFaceBody = z
  .object({
    personId: z.uuid().optional().describe('an existing person of the caller'),
    newPerson: z.object({ name: personName.optional() }).strict().optional().describe('create a person for the face'),
  })
  .strict()
  .refine((body) => (body.personId === undefined) !== (body.newPerson === undefined), {
    message: 'give exactly one of personId or newPerson',
  });

export const personView = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  hidden: z.boolean(),
  faceCount: z.number().int(),
  photoCount: z.number().int(),
  coverFaceId: z.uuid().nullable(),
  coverThumbnailUrl: z.string().nullable(),
  createdAt: z.iso.datetime(),
});

const box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });

export const faceView = z.object({
  id: z.uuid(),
  personId: z.uuid().nullable(),
  personName: z.string().nullable(),
  photoId: z.uuid(),
  box: box.describe('in pixels of the EXIF-rotated original'),
  quality: z.number().describe('0..1, higher is a better picture of the person'),
  kind: z.enum(['face', 'blurry', 'trash', 'not_face']),
  assignedBy: z.enum(['cluster', 'user']),
  thumbnailUrl: z.string(),
  photoUrl: z.string(),
  photoPreviewUrl: z.string(),
});

export const peoplePage = z.object({ people: z.array(personView), nextCursor: z.string().nullable() });
export const facesPage = z.object({ faces: z.array(faceView), nextCursor: z.string().nullable() });
export const similarPeople = z.object({
  people: z.array(z.object({ person: personView, similarity: z.number().min(0).max(1) })),
});
export const mergeResult = z.object({
  merge: z.object({ id: z.uuid(), targetPersonId: z.uuid(), mergedPersonIds: z.array(z.uuid()), createdAt: z.iso.datetime() }),
  person: personView,
});
export const undoResult = z.object({ restoredPersonIds: z.array(z.uuid()), person: personView.nullable() });

export const photoFace = faceView.extend({
  landmarks: z.array(z.object({ x: z.number(), y: z.number() })),
  score: z.number().describe('detection score'),
});
export const photoDetail = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'processing', 'done', 'failed']),
  failureReason: z.string().nullable(),
  fileName: z.string().nullable(),
  contentType: z.string(),
  byteSize: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  faceCount: z.number().int().nullable(),
  uploadedAt: z.iso.datetime(),
  processedAt: z.iso.datetime().nullable(),
  faces: z.array(photoFace),
});
