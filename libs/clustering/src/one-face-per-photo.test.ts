import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepOneFacePerPhoto } from './one-face-per-photo';

test('a cluster keeps only the strongest face of each photo', () => {
  const { clusters, unassigned } = keepOneFacePerPhoto([
    [
      { faceId: 'a', photoId: 'group', strength: 0.4 },
      { faceId: 'b', photoId: 'group', strength: 0.9 },
      { faceId: 'c', photoId: 'solo', strength: 0.5 },
    ],
    [{ faceId: 'd', photoId: 'group', strength: 0.7 }],
  ]);
  assert.deepEqual(clusters.map((members) => members.map((m) => m.faceId)), [['b', 'c'], ['d']]);
  assert.deepEqual(unassigned.map((m) => m.faceId), ['a']);
});
