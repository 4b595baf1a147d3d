import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinByAverageLinkage } from './join-person';

test('a new face joins the person it is most alike on average, if that reaches the threshold', () => {
  const alice = { personId: 'alice', meanSimilarity: 0.7, faceCount: 4, nearest: [0.75, 0.72, 0.7, 0.65] };
  const bob = { personId: 'bob', meanSimilarity: 0.62, faceCount: 4, nearest: [0.8, 0.6, 0.55, 0.53] };
  assert.equal(joinByAverageLinkage([bob, alice], 0.6, 5), 'alice');
  assert.equal(joinByAverageLinkage([bob, alice], 0.75, 5), null, 'nobody alike enough: it waits for the next run');
  assert.equal(joinByAverageLinkage([bob, alice], 0.6, 5, (id) => id !== 'alice'), 'bob', 'a person it may not join is passed over');
});

test('one close face of a big person is not enough: the faces of it not nearby count at the person’s mean', () => {
  const big = { personId: 'big', meanSimilarity: 0.1, faceCount: 50, nearest: [0.7] };
  // (0.7 + 4 × 0.1) / 5 = 0.22
  assert.equal(joinByAverageLinkage([big], 0.5, 5), null);
});

test('a person the user merged from two looks is joined by a face like either side', () => {
  // Ten faces, five like the new face (0.8) and five not (0): the mean is 0.4, the near side 0.8.
  const merged = { personId: 'merged', meanSimilarity: 0.4, faceCount: 10, nearest: [0.82, 0.8, 0.8, 0.79, 0.78] };
  assert.equal(joinByAverageLinkage([merged], 0.6, 5), 'merged');
});
