import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepOneFacePerPhoto, keepOneFacePerPhotoOfGroup, photoSlotOrder, placeOnePerPhoto, similarityToMean, type PhotoSlotClaim } from './person-rules';

interface Face extends PhotoSlotClaim {
  similarity?: number;
}

const face = (id: string, photoId: string, quality: number, extra: Partial<Face> = {}): Face => ({ id, photoId, quality, ...extra });
const bySimilarity = (f: Face) => f.similarity ?? 0;
const winner = (...faces: Face[]) => [...faces].sort(photoSlotOrder(bySimilarity))[0].id;

test('photo slot order: pinned, then quality, then similarity to the person, then face id', () => {
  assert.equal(winner(face('a', 'p', 0.9, { similarity: 0.9 }), face('b', 'p', 0.1, { pinned: true })), 'b', 'a user decision stays');
  assert.equal(winner(face('a', 'p', 0.4, { similarity: 0.9 }), face('b', 'p', 0.8, { similarity: 0.2 })), 'b', 'quality before similarity');
  assert.equal(winner(face('a', 'p', 0.5, { similarity: 0.3 }), face('b', 'p', 0.5, { similarity: 0.7 })), 'b', 'similarity on equal quality');
  assert.equal(winner(face('b', 'p', 0.5), face('a', 'p', 0.5)), 'a', 'face id last');
  assert.equal(winner(face('a', 'p', 0.5), face('b', 'p', 0.5)), 'a', 'whatever the input order');
});

test('the order asks for similarity only between faces of equal quality', () => {
  const asked: string[] = [];
  const order = photoSlotOrder<Face>((f) => (asked.push(f.id), 0));
  order(face('a', 'p', 0.4), face('b', 'p', 0.6));
  order(face('a', 'p', 0.4), face('b', 'p', 0.4, { pinned: true }));
  assert.deepEqual(asked, []);
  order(face('a', 'p', 0.4), face('b', 'p', 0.4));
  assert.deepEqual(asked.sort(), ['a', 'b']);
});

test('keepOneFacePerPhoto keeps the first face of each photo in the order and drops the others', () => {
  const faces = [
    face('a', 'group', 0.4),
    face('b', 'group', 0.9),
    face('c', 'solo', 0.1),
    face('d', 'group', 0.2, { pinned: true }),
    face('e', 'pair', 0.5, { similarity: 0.1 }),
    face('f', 'pair', 0.5, { similarity: 0.6 }),
  ];
  const { kept, dropped } = keepOneFacePerPhoto(faces, bySimilarity);
  assert.deepEqual(kept.map((f) => f.id), ['c', 'd', 'f']);
  assert.deepEqual(dropped.map((f) => f.id), ['a', 'b', 'e']);
  assert.deepEqual(keepOneFacePerPhoto([face('x', 'one', 0)]).kept.map((f) => f.id), ['x']);
});

test('similarityToMean is the cosine to the mean direction', () => {
  const sum = Float32Array.from([2, 0]);
  assert.equal(similarityToMean(Float32Array.from([1, 0]), sum), 1);
  assert.equal(similarityToMean(Float32Array.from([0, 1]), sum), 0);
  assert.equal(similarityToMean(Float32Array.from([0, 1]), new Float32Array(2)), 0);
});

test('placeOnePerPhoto: the better face of a photo takes the person, the other its next choice, whatever the input order', () => {
  const preferences: Record<string, string[]> = { low: ['alice', 'bob'], high: ['alice', 'carol'], solo: ['alice'] };
  const choose = (f: Face, allowed: (personId: string) => boolean) => preferences[f.id].find(allowed) ?? null;
  const faces = [face('low', 'group', 0.3), face('high', 'group', 0.8), face('solo', 'other', 0.1)];
  for (const input of [faces, [...faces].reverse()]) {
    const placed = placeOnePerPhoto(input, choose, { taken: () => false });
    assert.deepEqual(Object.fromEntries(placed), { high: 'alice', low: 'bob', solo: 'alice' });
  }
});

test('placeOnePerPhoto never offers a person already on the photo, and a face with no allowed person waits', () => {
  const choose = (_f: Face, allowed: (personId: string) => boolean) => ['alice', 'bob'].find(allowed) ?? null;
  const taken = (photoId: string, personId: string) => photoId === 'group' && personId === 'alice';
  const placed = placeOnePerPhoto([face('a', 'group', 0.9), face('b', 'group', 0.1)], choose, { taken });
  assert.deepEqual(Object.fromEntries(placed), { a: 'bob' }, 'alice keeps her face on the photo; b loses bob to a and waits');
});

test('placeOnePerPhoto breaks quality ties by similarity to the person', () => {
  const choose = (_f: Face, allowed: (personId: string) => boolean) => (allowed('alice') ? 'alice' : null);
  const similarity = (f: Face, personId: string) => (personId === 'alice' && f.id === 'z' ? 0.9 : 0.1);
  const placed = placeOnePerPhoto([face('a', 'group', 0.5), face('z', 'group', 0.5)], choose, { taken: () => false, similarity });
  assert.deepEqual(Object.fromEntries(placed), { z: 'alice' });
});

test('keepOneFacePerPhotoOfGroup: of equal pictures the face nearer the group mean stays; a pinned face stays anyway', () => {
  const unit = (x: number, y: number) => Float32Array.from([x, y].map((v) => v / Math.hypot(x, y)));
  const faces = [
    { photoId: 'solo1', embedding: unit(1, 0) },
    { photoId: 'solo2', embedding: unit(1, 0.1) },
    { photoId: 'group', embedding: unit(0.2, 1) },
    { photoId: 'group', embedding: unit(1, 0.05) },
  ];
  assert.deepEqual(keepOneFacePerPhotoOfGroup(faces, [0, 1, 2, 3]), { kept: [0, 1, 3], dropped: [2] });
  assert.deepEqual(keepOneFacePerPhotoOfGroup(faces, [0, 1, 2, 3], (i) => i === 2), { kept: [0, 1, 2], dropped: [3] });
  const better = faces.map((face, i) => ({ ...face, quality: i === 2 ? 0.9 : 0.5 }));
  assert.deepEqual(keepOneFacePerPhotoOfGroup(better, [0, 1, 2, 3]).dropped, [3], 'quality first');
});
