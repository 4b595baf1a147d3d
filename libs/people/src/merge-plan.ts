import { keepOneFacePerPhoto } from '@facecloud/clustering';
import type { FaceAssignedBy, FacePlacement, PersonRow } from '@facecloud/storage';

/**
 * What a merge keeps to undo it exactly (person_merges.merged_persons, a JSON array):
 * one `merged` entry per merged-in person (its row, its faces with their assigned_by and
 * whether the merge unassigned them, its "not this person" exclusions) and one `target`
 * entry (the target's faces as they were, and the exclusions the merge lifted from it).
 */
export type MergeSnapshotEntry =
  | { role: 'merged'; person: PersonRow; faces: SnapshotFace[]; exclusions: string[] }
  | { role: 'target'; personId: string; faces: SnapshotFace[]; liftedExclusions: string[] };

export interface SnapshotFace {
  id: string;
  assignedBy: FaceAssignedBy;
  /** The merge took this face out of every person (another face of its photo was kept). */
  unassigned: boolean;
}

/** A face placed with a person by a merge or its undo. */
export interface FaceMove {
  faceId: string;
  personId: string;
  assignedBy: FaceAssignedBy;
}

export interface MergePlan {
  /** Second faces of a photo: they leave every person. */
  unassigned: string[];
  /** Faces of the merged persons that move into the target. */
  moved: string[];
  /** Each person's faces as they were, for the snapshot. */
  snapshotFaces(personId: string): SnapshotFace[];
}

/** Faces that share their photo with another of the given faces (those the person rule must decide between). */
export function facesSharingAPhoto(faces: readonly Pick<FacePlacement, 'id' | 'photoId'>[]): string[] {
  const perPhoto = new Map<string, number>();
  for (const face of faces) perPhoto.set(face.photoId, (perPhoto.get(face.photoId) ?? 0) + 1);
  return faces.filter((face) => perPhoto.get(face.photoId)! > 1).map((face) => face.id);
}

/**
 * A merge of persons into `target`: every face of theirs joins the target, except that where
 * two faces of one photo meet, the person rule keeps one (keepOneFacePerPhoto; the target's
 * chosen cover is pinned, as the user picked it) and the others are unassigned.
 * `similarity`: the faces' similarity to the merged person's mean (faces sharing a photo).
 */
export function planMerge(
  target: Pick<PersonRow, 'id' | 'coverFaceId'>,
  faces: readonly FacePlacement[],
  similarity: ReadonlyMap<string, number> = new Map(),
): MergePlan {
  const claims = faces.map((face) => ({ ...face, pinned: face.id === target.coverFaceId }));
  const unassigned = new Set(keepOneFacePerPhoto(claims, (face) => similarity.get(face.id) ?? 0).dropped.map((face) => face.id));
  return {
    unassigned: [...unassigned],
    moved: faces.filter((face) => face.personId !== target.id && !unassigned.has(face.id)).map((face) => face.id),
    snapshotFaces: (personId) =>
      faces
        .filter((face) => face.personId === personId)
        .map((face) => ({ id: face.id, assignedBy: face.assignedBy, unassigned: unassigned.has(face.id) })),
  };
}

export interface UndoPlan {
  /** Merged persons to put back (those that get at least one face back), with their cover if it came back to them. */
  restored: Array<{ person: PersonRow; coverFaceId: string | null; exclusions: string[] }>;
  /** Faces placed back, in order. */
  moves: FaceMove[];
  /** The target's exclusions the merge had lifted. */
  liftedExclusions: string[];
  /** The target keeps no face: it disappears with the undo. */
  targetEmptied: boolean;
}

/**
 * Undoing a merge, as far as the faces allow: a face goes back where it was if it is still in
 * the target, or still unassigned where the merge left it (and not marked "not a face" since).
 * Faces the user moved elsewhere since stay where they are; a face never joins a person that
 * meanwhile got another face of its photo (faces in place are pinned); when a later merge into
 * the target confirmed its faces again (`confirmedSince`), they stay confirmed.
 */
export function planUndo(input: {
  targetId: string;
  entries: readonly MergeSnapshotEntry[];
  /** Now: the faces of the snapshot (gone ones left out). */
  current: ReadonlyMap<string, Pick<FacePlacement, 'id' | 'photoId' | 'personId' | 'kind'>>;
  /** Now: every face of the target. */
  targetFaces: readonly Pick<FacePlacement, 'id' | 'photoId'>[];
  confirmedSince: boolean;
}): UndoPlan {
  const { targetId, current } = input;
  const restorable = (snap: SnapshotFace) => {
    const face = current.get(snap.id);
    if (!face) return undefined;
    const leftUnassigned = snap.unassigned && face.personId === null && face.kind !== 'not_face';
    return face.personId === targetId || leftUnassigned ? face : undefined;
  };
  const moves: FaceMove[] = [];
  const restored: UndoPlan['restored'] = [];
  const leftTarget = new Set<string>();
  for (const entry of input.entries) {
    if (entry.role !== 'merged') continue;
    const photos = new Set<string>();
    const back: string[] = [];
    for (const snap of entry.faces) {
      const face = restorable(snap);
      if (!face || photos.has(face.photoId)) continue;
      photos.add(face.photoId);
      back.push(face.id);
      if (face.personId === targetId) leftTarget.add(face.id);
      moves.push({ faceId: face.id, personId: entry.person.id, assignedBy: snap.assignedBy });
    }
    if (back.length === 0) continue;
    const cover = entry.person.coverFaceId;
    restored.push({ person: entry.person, coverFaceId: cover && back.includes(cover) ? cover : null, exclusions: entry.exclusions });
  }
  const target = input.entries.find((entry) => entry.role === 'target');
  const remaining = input.targetFaces.filter((face) => !leftTarget.has(face.id));
  const targetPhotos = new Set(remaining.map((face) => face.photoId));
  let joined = 0;
  for (const snap of target?.faces ?? []) {
    const face = restorable(snap);
    if (!face) continue;
    if (face.personId === targetId) {
      if (!input.confirmedSince) moves.push({ faceId: face.id, personId: targetId, assignedBy: snap.assignedBy });
    } else if (!targetPhotos.has(face.photoId)) {
      targetPhotos.add(face.photoId);
      joined++;
      moves.push({ faceId: face.id, personId: targetId, assignedBy: snap.assignedBy });
    }
  }
  return {
    restored,
    moves,
    liftedExclusions: target?.role === 'target' ? target.liftedExclusions : [],
    targetEmptied: remaining.length + joined === 0,
  };
}
