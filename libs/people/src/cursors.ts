import { z } from 'zod';
import type { FaceCursor, PersonCursor } from '@facecloud/storage';

/**
 * Page cursors are opaque to clients: base64url of a small JSON position. A cursor that does
 * not decode to a valid position is a client error (400), never a server one.
 */
const personCursorSchema = z.discriminatedUnion('sort', [
  z.object({ sort: z.literal('faces'), faceCount: z.number().int().min(0), id: z.uuid() }),
  // No stored name holds a NUL (PostgreSQL text cannot): a cursor with one is forged.
  z.object({ sort: z.literal('name'), unnamed: z.boolean(), name: z.string().max(400).refine((name) => !name.includes('\u0000')), id: z.uuid() }),
]);
const faceCursorSchema = z.object({ quality: z.number(), id: z.uuid() });

export const encodeCursor = (position: PersonCursor | FaceCursor): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

function decoding<T>(schema: z.ZodType<T>) {
  return z
    .string()
    .max(1000)
    .transform((value, context): T => {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        context.addIssue({ code: 'custom', message: 'invalid cursor (use nextCursor from a previous page)' });
        return z.NEVER;
      }
      return parsed.data;
    });
}

/** Query-string parsers of the cursors, for request schemas. */
export const personCursorParam = decoding<PersonCursor>(personCursorSchema);
export const faceCursorParam = decoding<FaceCursor>(faceCursorSchema);
