import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { facePosition, keysetPage, personPosition, photoPosition, positionOfPerson, positionOfPhoto, withCursor } from './paging';

const rows = Array.from({ length: 5 }, (_, index) => ({ quality: 1 - index / 10, id: `00000000-0000-4000-8000-00000000000${index}` }));
const listFaces = withCursor(z.object({ cursor: z.string().optional() }), facePosition);

test('keysetPage asks for one row more than shown and gives a cursor only when more rows follow', async () => {
  const asked: number[] = [];
  const fetch = async (limit: number) => (asked.push(limit), rows.slice(0, limit));
  const first = await keysetPage(2, fetch, (row) => row);
  assert.deepEqual(first.items, rows.slice(0, 2));
  assert.ok(first.nextCursor);
  const last = await keysetPage(5, fetch, (row) => row);
  assert.deepEqual(last, { items: rows, nextCursor: null });
  assert.deepEqual(asked, [3, 6]);
});

test('a next cursor decodes to the position of the last row shown', async () => {
  const page = await keysetPage(2, async (limit) => rows.slice(0, limit), (row) => row);
  assert.deepEqual(listFaces.parse({ cursor: page.nextCursor }).cursor, rows[1]);
});

test('a photo cursor keeps the upload time as a date', async () => {
  const photo = { uploadedAt: new Date('2026-01-02T03:04:05.678Z'), id: rows[0].id };
  const page = await keysetPage(1, async () => [photo, photo], positionOfPhoto);
  const decoded = withCursor(z.object({}), photoPosition).parse({ cursor: page.nextCursor }).cursor;
  assert.deepEqual(decoded, photo);
});

test('a person cursor carries its sort order and the lower-cased name', () => {
  const person = { id: rows[0].id, name: 'Ada', faceCount: 3 };
  assert.deepEqual(positionOfPerson('name')(person), { sort: 'name', unnamed: false, name: 'ada', id: person.id });
  assert.deepEqual(positionOfPerson('faces')(person), { sort: 'faces', faceCount: 3, id: person.id });
  assert.ok(personPosition.safeParse(positionOfPerson('name')({ ...person, name: null })).success);
});

test('a cursor that is not one of ours is a 400-style issue naming the cursor, never an exception', () => {
  const forged = [
    'nonsense',
    Buffer.from('{"quality":"high","id":"x"}').toString('base64url'),
    Buffer.from('2026-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url'),
    'a'.repeat(1001),
  ];
  for (const cursor of forged) {
    const parsed = listFaces.safeParse({ cursor });
    assert.equal(parsed.success, false, cursor);
    assert.deepEqual(parsed.error.issues.map((issue) => issue.path.join('.')), ['cursor']);
  }
  const withNul = Buffer.from(JSON.stringify({ sort: 'name', unnamed: false, name: 'a\u0000', id: rows[0].id })).toString('base64url');
  assert.equal(withCursor(z.object({}), personPosition).safeParse({ cursor: withNul }).success, false);
});
