import { z } from 'zod';
import type { FaceCursor, PersonCursor, PersonSort, PhotoCursor } from '@facecloud/storage';

/**
 * Keyset paging of every list of the API. A page cursor is opaque to clients: base64url of
 * the JSON position after the last row of a page (its sort key and id). One that does not
 * decode to a valid position is a client error (400), never a server one.
 */

export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

const encodeCursor = (position: object): string => Buffer.from(JSON.stringify(position)).toString('base64url');

/** Reads one page: asks for one row more than shown, which says whether a next page exists. */
export async function keysetPage<Row, Position extends object>(
  limit: number,
  fetch: (limit: number) => Promise<Row[]>,
  positionOf: (row: Row) => Position,
): Promise<Page<Row>> {
  const rows = await fetch(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null };
}

/** The query-string parser of a cursor: the position it stands for, or a 400 naming the cursor. */
function cursorParam<Position>(position: z.ZodType<Position>) {
  return z
    .string()
    .max(1000)
    .transform((value, context): Position => {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      } catch {
        json = undefined;
      }
      const parsed = position.safeParse(json);
      if (!parsed.success) {
        context.addIssue({ code: 'custom', message: 'invalid cursor (use nextCursor from a previous page)' });
        return z.NEVER;
      }
      return parsed.data;
    });
}

/** A list query of the contract whose `cursor` is decoded into the position it stands for. */
export const withCursor = <Shape extends z.ZodRawShape, Position>(query: z.ZodObject<Shape>, position: z.ZodType<Position>) =>
  query.extend({ cursor: cursorParam(position).optional() });

export const personPosition: z.ZodType<PersonCursor> = z.discriminatedUnion('sort', [
  z.object({ sort: z.literal('faces'), faceCount: z.number().int().min(0), id: z.uuid() }),
  // No stored name holds a NUL (PostgreSQL text cannot): a cursor with one is forged.
  z.object({ sort: z.literal('name'), unnamed: z.boolean(), name: z.string().max(400).refine((name) => !name.includes('\u0000')), id: z.uuid() }),
]);

/** The position of a person in a list sorted by `sort`, as the persons query orders them. */
export const positionOfPerson =
  (sort: PersonSort) =>
  (person: { id: string; name: string | null; faceCount: number }): PersonCursor =>
    sort === 'faces'
      ? { sort: 'faces', faceCount: person.faceCount, id: person.id }
      : { sort: 'name', unnamed: person.name === null, name: (person.name ?? '').toLowerCase(), id: person.id };

export const facePosition: z.ZodType<FaceCursor> = z.object({ quality: z.number(), id: z.uuid() });
export const positionOfFace = (face: FaceCursor): FaceCursor => ({ quality: face.quality, id: face.id });

export const photoPosition: z.ZodType<PhotoCursor, unknown> = z.object({
  uploadedAt: z.iso.datetime().transform((text) => new Date(text)),
  id: z.uuid(),
});
export const positionOfPhoto = (photo: PhotoCursor): PhotoCursor => ({ uploadedAt: photo.uploadedAt, id: photo.id });
