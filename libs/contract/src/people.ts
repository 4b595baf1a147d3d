import { z } from 'zod';
import { pageCursor, pageLimit, personName, withoutControlCharacters } from './text';

/** Requests and answers of /people, /faces and /merges. */

/**
 * What a detection is: the pipeline's face (takes part in clustering), blurry or trash (kept,
 * left out of clustering), or not_face when the user said so.
 */
export const faceKind = z.enum(['face', 'blurry', 'trash', 'not_face']);
export type FaceKind = z.infer<typeof faceKind>;

/** Who put a face in its person: clustering, or the user (then clustering leaves it there). */
export const faceAssignedBy = z.enum(['cluster', 'user']);
export type FaceAssignedBy = z.infer<typeof faceAssignedBy>;

export const peopleSort = z.enum(['faces', 'name']);
export type PeopleSort = z.infer<typeof peopleSort>;
export const peopleFilter = z.enum(['visible', 'hidden', 'named', 'unnamed', 'all']);
export type PeopleFilter = z.infer<typeof peopleFilter>;

export const listPeopleQuery = z.object({
  limit: pageLimit(200, 50),
  cursor: pageCursor,
  sort: peopleSort.default('faces').describe('faces: most faces first; name: A-Z, unnamed last'),
  filter: peopleFilter
    .default('visible')
    .describe('named and unnamed narrow the visible (not hidden) persons; all includes hidden ones'),
  q: withoutControlCharacters(z.string().trim().max(100))
    .optional()
    .transform((value) => value || undefined)
    .describe('case-insensitive substring of the name'),
});

export const listFacesQuery = z.object({ limit: pageLimit(200, 50), cursor: pageCursor });

export const similarQuery = z.object({ limit: pageLimit(50, 10) });

export const updatePersonBody = z
  .object({
    name: personName.nullable().optional().describe('trimmed; null clears the name'),
    hidden: z.boolean().optional(),
    coverFaceId: z.uuid().nullable().optional().describe('one of the person\'s faces; null = best-quality face'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one of name, hidden, coverFaceId' });
export type UpdatePersonBody = z.infer<typeof updatePersonBody>;

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
export type MoveFaceBody = z.infer<typeof moveFaceBody>;

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
export type PersonView = z.infer<typeof personView>;

const box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
export type Box = z.infer<typeof box>;

export const faceView = z.object({
  id: z.uuid(),
  personId: z.uuid().nullable(),
  personName: z.string().nullable(),
  photoId: z.uuid(),
  box: box.describe('in pixels of the EXIF-rotated original'),
  quality: z.number().describe('0..1, higher is a better picture of the person'),
  kind: faceKind,
  assignedBy: faceAssignedBy,
  thumbnailUrl: z.string(),
  photoUrl: z.string(),
  photoPreviewUrl: z.string(),
});
export type FaceView = z.infer<typeof faceView>;

export const peoplePage = z.object({ people: z.array(personView), nextCursor: z.string().nullable() });
export type PeoplePage = z.infer<typeof peoplePage>;
export const facesPage = z.object({ faces: z.array(faceView), nextCursor: z.string().nullable() });
export type FacesPage = z.infer<typeof facesPage>;
export const similarPeople = z.object({
  people: z.array(z.object({ person: personView, similarity: z.number().min(0).max(1) })),
});
export type SimilarPeople = z.infer<typeof similarPeople>;
export const mergeResult = z.object({
  merge: z.object({ id: z.uuid(), targetPersonId: z.uuid(), mergedPersonIds: z.array(z.uuid()), createdAt: z.iso.datetime() }),
  person: personView,
});
export type MergeResult = z.infer<typeof mergeResult>;
export const undoResult = z.object({ restoredPersonIds: z.array(z.uuid()), person: personView.nullable() });
export type UndoResult = z.infer<typeof undoResult>;
