import { z } from 'zod';

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
export const personName = withoutControlCharacters(z.string().trim().min(1, 'name must not be blank').max(100)).refine(
  (value) => value === '' || VISIBLE_CHARACTER.test(value),
  { message: 'must contain a visible character' },
);

/** A page size in a query string, `fallback` when absent. */
export const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** An opaque page cursor as clients send it back: the `nextCursor` of the previous page. */
export const pageCursor = z.string().max(1000).optional().describe('nextCursor of the previous page');
