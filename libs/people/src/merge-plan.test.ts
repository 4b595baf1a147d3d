import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FacePlacement, PersonRow } from '@facecloud/storage';
import { facesSharingAPhoto, planMerge, planUndo, type MergeSnapshotEntry } from './merge-plan';

const face = (id: string, personId: string | null, photoId: string, quality = 0.5, extra: Partial<FacePlacement> = {}): FacePlacement => ({
  id,
  photoId,
  personId,
  quality,
  detectionScore: 0.99,
  assignedBy: 'cluster',
  kind: 'face',
  ...extra,
});
const row = (id: string, coverFaceId: string | null = null): PersonRow => ({
  id,
  name: null,
  hidden: false,
  coverFaceId,
  createdAt: '2026-01-01 00:00:00+00',
  updatedAt: '2026-01-01 00:00:00+00',
});

test('merge: all faces join the target; of two faces of one photo the better picture stays', () => {
  const faces = [face('t1', 'T', 'solo-t'), face('t2', 'T', 'group', 0.4), face('m1', 'M', 'group', 0.9), face('m2', 'M', 'solo-m')];
  const plan = planMerge(row('T'), faces);
  assert.deepEqual(plan.unassigned, ['t2']);
  assert.deepEqual(plan.moved, ['m1', 'm2']);
  assert.deepEqual(plan.snapshotFaces('T'), [
    { id: 't1', assignedBy: 'cluster', unassigned: false },
    { id: 't2', assignedBy: 'cluster', unassigned: true },
  ]);
  assert.deepEqual(facesSharingAPhoto(faces), ['t2', 'm1']);
});

test("merge: the target's chosen cover stays whatever its quality; equal pictures are told apart by likeness, then id", () => {
  const group = [face('t2', 'T', 'group', 0.1), face('m1', 'M', 'group', 0.9)];
  assert.deepEqual(planMerge(row('T', 't2'), group).unassigned, ['m1']);
  const twins = [face('a', 'T', 'group', 0.5), face('b', 'M', 'group', 0.5)];
  assert.deepEqual(planMerge(row('T'), twins, new Map([['a', 0.2], ['b', 0.8]])).unassigned, ['a']);
  assert.deepEqual(planMerge(row('T'), twins).unassigned, ['b']);
});

test('undo: faces go back where they were, a face moved elsewhere since stays, the cover comes back with its face', () => {
  const snapshot: MergeSnapshotEntry[] = [
    {
      role: 'merged',
      person: row('M', 'm1'),
      faces: [
        { id: 'm1', assignedBy: 'user', unassigned: false },
        { id: 'm2', assignedBy: 'cluster', unassigned: false },
      ],
      exclusions: ['x'],
    },
    { role: 'target', personId: 'T', faces: [{ id: 't1', assignedBy: 'cluster', unassigned: false }, { id: 't2', assignedBy: 'cluster', unassigned: true }], liftedExclusions: ['m9'] },
  ];
  const now = [face('m1', 'T', 'p1'), face('m2', 'Elsewhere', 'p2'), face('t1', 'T', 'p3'), face('t2', null, 'p4')];
  const plan = planUndo({
    targetId: 'T',
    entries: snapshot,
    current: new Map(now.map((f) => [f.id, f])),
    targetFaces: [now[0], now[2]],
    confirmedSince: false,
  });
  assert.deepEqual(plan.moves, [
    { faceId: 'm1', personId: 'M', assignedBy: 'user' },
    { faceId: 't1', personId: 'T', assignedBy: 'cluster' },
    { faceId: 't2', personId: 'T', assignedBy: 'cluster' },
  ]);
  assert.deepEqual(plan.restored, [{ person: row('M', 'm1'), coverFaceId: 'm1', exclusions: ['x'] }]);
  assert.deepEqual(plan.liftedExclusions, ['m9']);
  assert.equal(plan.targetEmptied, false);
});

test('undo: a person with no face to take back is not restored; an unassigned face whose photo the target has again stays out', () => {
  const snapshot: MergeSnapshotEntry[] = [
    { role: 'merged', person: row('M', 'gone'), faces: [{ id: 'm1', assignedBy: 'cluster', unassigned: false }], exclusions: [] },
    { role: 'target', personId: 'T', faces: [{ id: 't1', assignedBy: 'user', unassigned: true }], liftedExclusions: [] },
  ];
  const now = [face('m1', 'Other', 'p1'), face('t1', null, 'group'), face('t9', 'T', 'group')];
  const plan = planUndo({ targetId: 'T', entries: snapshot, current: new Map(now.map((f) => [f.id, f])), targetFaces: [now[2]], confirmedSince: true });
  assert.deepEqual(plan.restored, []);
  assert.deepEqual(plan.moves, []);
  assert.equal(plan.targetEmptied, false);
});

test('undo: a target whose faces all go back to the merged persons is emptied; faces marked "not a face" stay out', () => {
  const snapshot: MergeSnapshotEntry[] = [
    { role: 'merged', person: row('M'), faces: [{ id: 'm1', assignedBy: 'cluster', unassigned: false }], exclusions: [] },
    { role: 'target', personId: 'T', faces: [{ id: 't1', assignedBy: 'cluster', unassigned: true }], liftedExclusions: [] },
  ];
  const now = [face('m1', 'T', 'group'), face('t1', null, 'group', 0.5, { kind: 'not_face' })];
  const plan = planUndo({ targetId: 'T', entries: snapshot, current: new Map(now.map((f) => [f.id, f])), targetFaces: [now[0]], confirmedSince: false });
  assert.deepEqual(plan.moves, [{ faceId: 'm1', personId: 'M', assignedBy: 'cluster' }]);
  assert.equal(plan.targetEmptied, true);
});
