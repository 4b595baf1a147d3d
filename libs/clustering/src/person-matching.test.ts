import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchClustersToPersons } from './person-matching';

test('a re-found group keeps its person id; a new group gets none', () => {
  const previous = new Map<string, string | null>([
    ['f1', 'alice'],
    ['f2', 'alice'],
    ['f3', 'bob'],
    ['f4', null],
  ]);
  const result = matchClustersToPersons([['f3', 'f5'], ['f1', 'f2', 'f6'], ['f4', 'f7']], previous);
  assert.deepEqual(result, [
    { personId: 'bob', faceIds: ['f3', 'f5'] },
    { personId: 'alice', faceIds: ['f1', 'f2', 'f6'] },
    { personId: null, faceIds: ['f4', 'f7'] },
  ]);
});

test('when a person splits, the larger part keeps the id', () => {
  const previous = new Map<string, string | null>([['a', 'p'], ['b', 'p'], ['c', 'p']]);
  const result = matchClustersToPersons([['a'], ['b', 'c']], previous);
  assert.deepEqual(result.map((r) => r.personId), [null, 'p']);
});

test('a cluster that was mostly another person does not take a person id it shares a minority with', () => {
  // c1 is mostly bob's faces; bob goes to the bigger c0, and alice (1 of 4 in c1) must not take c1.
  const previous = new Map<string, string | null>([
    ['b1', 'bob'], ['b2', 'bob'], ['b3', 'bob'], ['b4', 'bob'], ['b5', 'bob'],
    ['b6', 'bob'], ['b7', 'bob'], ['b8', 'bob'], ['a1', 'alice'],
  ]);
  const result = matchClustersToPersons([['b1', 'b2', 'b3', 'b4', 'b5'], ['b6', 'b7', 'b8', 'a1']], previous);
  assert.deepEqual(result.map((r) => r.personId), ['bob', null]);
});
