import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePersons, type RunFace, type RunPerson } from './resolve-persons';

/** 4-d unit vectors are enough to place faces near one identity or between two. */
function unit(...values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / norm);
}
const A = (jitter: number) => unit(1, jitter, 0, 0);
const B = (jitter: number) => unit(0, jitter, 1, 0);
function face(id: string, photoId: string, embedding: Float32Array, personId: string | null = null, assignedBy: 'cluster' | 'user' = 'cluster'): RunFace {
  return { id, photoId, personId, assignedBy, embedding };
}
const person = (id: string, name: string | null = null): RunPerson => ({ id, name, hidden: false, coverFaceId: null });
const options = { minClusterSize: 2, vote: { neighbours: 3, minSimilarity: 0.3, minVotes: 2 } };
const byPerson = (result: ReturnType<typeof resolvePersons>) =>
  Object.fromEntries(result.assignments.map((a) => [a.personId ?? `new:${a.faceIds[0]}`, [...a.faceIds].sort()]));

test('the weaker of two faces of one photo goes to its next-best person', () => {
  const faces = [
    face('a1', 'p1', A(0.1), 'alice'),
    face('a2', 'p2', A(0.2), 'alice'),
    face('a3', 'p3', A(0.3), 'alice'),
    face('b1', 'p4', B(0.1), 'bob'),
    face('b2', 'p5', B(0.2), 'bob'),
    face('b3', 'p6', B(0.3), 'bob'),
    face('g1', 'group', A(0), 'alice', 'user'),
    face('g2', 'group', unit(1, 0, 0.8, 0)), // nearer Alice, but Bob's faces are close enough
  ];
  const clusters = [[0, 1, 2, 6, 7], [3, 4, 5]];
  const result = resolvePersons(faces, [person('alice'), person('bob')], new Map(), clusters, options);
  assert.deepEqual(byPerson(result), { alice: ['a1', 'a2', 'a3', 'g1'], bob: ['b1', 'b2', 'b3', 'g2'] });
});

test('user-placed faces, named persons and exclusions constrain the clusters', () => {
  const faces = [
    face('a1', 'p1', A(0.1), 'alice'),
    face('a2', 'p2', A(0.2), 'alice'),
    face('b1', 'p3', B(0.1), 'bob'),
    face('b2', 'p4', B(0.2), 'bob'),
    face('x', 'p5', A(0.3), 'bob', 'user'), // the user put this Alice-like face with Bob
    face('r', 'p6', A(0.4), null), // the user removed it from Alice
  ];
  // HDBSCAN puts x and r with Alice's faces, and Alice is named.
  const clusters = [[0, 1, 4, 5], [2, 3]];
  const exclusions = new Map([['r', new Set(['alice'])]]);
  const result = resolvePersons(faces, [person('alice', 'Alice'), person('bob')], exclusions, clusters, options);
  assert.deepEqual(byPerson(result), { alice: ['a1', 'a2'], bob: ['b1', 'b2', 'x'] });
  assert.equal(result.assignedFaceCount, 5);
});

test('a curated person with no cluster keeps its faces; an uncurated one dissolves', () => {
  const faces = [
    face('a1', 'p1', A(0.1), 'alice'),
    face('a2', 'p2', A(0.2), 'alice'),
    face('b1', 'p3', B(0.1), 'bob'),
    face('b2', 'p4', B(0.2), 'bob'),
  ];
  const result = resolvePersons(faces, [{ ...person('alice'), hidden: true }, person('bob')], new Map(), [], options);
  assert.deepEqual(byPerson(result), { alice: ['a1', 'a2'] });
});
