import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  DATABASE,
  Repositories,
  withTransaction,
  type FaceRepository,
  type PersonRepository,
  type Database,
  type FaceAssignedBy,
  type FaceCursor,
  type FacePlacement,
  type OwnerRepositories,
  type PersonCursor,
  type PersonListQuery,
  type PersonRow,
  type Queryable,
} from '@facecloud/storage';
import { encodeCursor } from './cursors';
import { toFaceView, toPersonView, type FaceView, type PersonView } from './views';

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

export interface MergeView {
  id: string;
  targetPersonId: string;
  mergedPersonIds: string[];
  createdAt: Date;
}

export interface PersonListRequest {
  limit: number;
  cursor?: PersonCursor;
  sort: PersonListQuery['sort'];
  filter: PersonListQuery['filter'];
  q?: string;
}

export type MoveTarget = { personId: string } | { newPerson: { name?: string } };

/** Order of preference when two faces of one photo meet in one person: the better one stays. */
function betterFace(a: FacePlacement, b: FacePlacement): number {
  return b.quality - a.quality || b.detectionScore - a.detectionScore || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The user's decisions about persons and faces: naming, hiding, covers, merges (with exact
 * undo) and moving faces. Every operation is scoped to one owner: an id of another owner
 * behaves as an id that does not exist. Writes run in one transaction each, locking the
 * rows they decide about, so concurrent requests and clustering runs never see half a merge.
 */
@Injectable()
export class PeopleService {
  private readonly logger = new Logger(PeopleService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    private readonly repositories: Repositories,
  ) {}

  /** The owner's repositories on `db`: the pool, or a transaction's client. */
  private owner(ownerId: string, db: Queryable = this.database.pool): OwnerRepositories {
    return this.repositories.forOwner(db, ownerId);
  }

  async list(ownerId: string, request: PersonListRequest): Promise<{ people: PersonView[]; nextCursor: string | null }> {
    // A cursor of the other sort order is stale (the client changed the sort): start over.
    const after = request.cursor?.sort === request.sort ? request.cursor : undefined;
    const page = await this.owner(ownerId).persons.list({
      sort: request.sort,
      filter: request.filter,
      search: request.q,
      limit: request.limit + 1,
      after,
    });
    const people = page.slice(0, request.limit);
    const last = people[people.length - 1];
    let nextCursor: string | null = null;
    if (page.length > request.limit && last) {
      nextCursor = encodeCursor(
        request.sort === 'faces'
          ? { sort: 'faces', faceCount: last.faceCount, id: last.id }
          : { sort: 'name', unnamed: last.name === null, name: (last.name ?? '').toLowerCase(), id: last.id },
      );
    }
    return { people: people.map(toPersonView), nextCursor };
  }

  async get(ownerId: string, personId: string): Promise<PersonView> {
    return this.personView(this.owner(ownerId).persons, personId);
  }

  async listFaces(
    ownerId: string,
    personId: string,
    page: { limit: number; cursor?: FaceCursor },
  ): Promise<{ faces: FaceView[]; nextCursor: string | null }> {
    const owner = this.owner(ownerId);
    await this.personView(owner.persons, personId);
    const rows = await owner.faces.listOfPerson(personId, { limit: page.limit + 1, after: page.cursor });
    const faces = rows.slice(0, page.limit);
    const last = faces[faces.length - 1];
    return {
      faces: faces.map(toFaceView),
      nextCursor: rows.length > page.limit && last ? encodeCursor({ quality: last.quality, id: last.id }) : null,
    };
  }

  async update(
    ownerId: string,
    personId: string,
    changes: { name?: string | null; hidden?: boolean; coverFaceId?: string | null },
  ): Promise<PersonView> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const [person] = await persons.lock([personId]);
      if (!person) throw new NotFoundException(`person ${personId} not found`);
      if (changes.coverFaceId) {
        const face = await faces.find(changes.coverFaceId);
        if (face?.personId !== personId) {
          throw new BadRequestException(`coverFaceId: face ${changes.coverFaceId} is not a face of person ${personId}`);
        }
      }
      await persons.update(personId, changes);
      return this.personView(persons, personId);
    });
  }

  /** The faces of a photo with their persons' names, to draw boxes; undefined when no such photo. */
  async facesOfPhoto(ownerId: string, photoId: string) {
    return (await this.owner(ownerId).faces.listOfPhoto(photoId)).map((face) => ({
      view: toFaceView(face),
      landmarks: face.landmarks,
      detectionScore: face.detectionScore,
    }));
  }

  /**
   * Merges `mergedIds` into `targetId`: their faces move to the target, every face of the
   * result is marked placed by the user, and the merged persons are deleted. Where two faces
   * of one photo meet, the better one stays and the other is unassigned (one person appears
   * once per photo). The snapshot stored with the merge record makes undo exact.
   */
  async merge(ownerId: string, targetId: string, mergedIds: string[]): Promise<{ merge: MergeView; person: PersonView }> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const rows = await persons.lock([targetId, ...mergedIds]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of [targetId, ...mergedIds]) {
        if (!byId.has(id)) throw new NotFoundException(`person ${id} not found`);
      }
      const target = byId.get(targetId)!;
      const placements = await faces.lockOfPersons([targetId, ...mergedIds]);

      const unassigned = new Set<string>();
      const byPhoto = new Map<string, FacePlacement[]>();
      for (const face of placements) byPhoto.set(face.photoId, [...(byPhoto.get(face.photoId) ?? []), face]);
      for (const group of byPhoto.values()) {
        if (group.length < 2) continue;
        // The target's chosen cover stays whatever its quality: the user picked it.
        const keep = group.find((face) => face.id === target.coverFaceId) ?? [...group].sort(betterFace)[0];
        for (const face of group) if (face !== keep) unassigned.add(face.id);
      }
      const snapshotFaces = (personId: string): SnapshotFace[] =>
        placements
          .filter((face) => face.personId === personId)
          .map((face) => ({ id: face.id, assignedBy: face.assignedBy, unassigned: unassigned.has(face.id) }));

      const movedIds = placements.filter((face) => face.personId !== targetId && !unassigned.has(face.id)).map((face) => face.id);
      const snapshot: MergeSnapshotEntry[] = [];
      for (const id of mergedIds) {
        const exclusions = [...(await persons.listExclusions({ personIds: [id] })).keys()];
        snapshot.push({ role: 'merged', person: byId.get(id)!, faces: snapshotFaces(id), exclusions });
      }
      // Merging says these faces are the target's person: lift any "not this person" between them.
      const liftedExclusions = await persons.removeExclusions(targetId, movedIds);
      snapshot.push({ role: 'target', personId: targetId, faces: snapshotFaces(targetId), liftedExclusions });

      await faces.assign([...unassigned], null, 'cluster');
      await persons.clearCoverOfFaces([...unassigned]);
      await faces.assign(movedIds, targetId, 'user');
      await faces.confirmAllOf(targetId);
      await persons.delete(mergedIds);
      const record = await persons.insertMerge(targetId, snapshot);
      this.logger.log(
        `owner ${ownerId}: merged ${mergedIds.length} person(s) into ${targetId} (${movedIds.length} faces moved, ` +
          `${unassigned.size} unassigned as second faces of a photo)`,
      );
      return {
        merge: { id: record.id, targetPersonId: targetId, mergedPersonIds: mergedIds, createdAt: record.createdAt },
        person: await this.personView(persons, targetId),
      };
    });
  }

  /**
   * Restores the merged persons under their old ids, with their names, hidden flags, covers
   * and exclusions, and gives them back their faces with their old assigned_by. Faces the
   * user moved elsewhere since stay where they are; a face is not restored into a person
   * that meanwhile got another face of its photo.
   */
  async undoMerge(ownerId: string, mergeId: string): Promise<{ restoredPersonIds: string[]; person: PersonView | null }> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const merge = await persons.lockMerge(mergeId);
      if (!merge) throw new NotFoundException(`merge ${mergeId} not found`);
      if (merge.undoneAt) throw new ConflictException(`merge ${mergeId} was already undone at ${merge.undoneAt.toISOString()}`);
      const targetId = merge.targetPersonId;
      await persons.lock([targetId]);
      const entries = merge.mergedPersons as MergeSnapshotEntry[];
      const merged = entries.filter((entry) => entry.role === 'merged');
      const targetEntry = entries.find((entry) => entry.role === 'target');

      for (const entry of merged) await persons.restore(entry.person);

      const snapshotFaces = entries.flatMap((entry) => entry.faces);
      const current = new Map((await faces.lock(snapshotFaces.map((face) => face.id))).map((face) => [face.id, face]));
      // A face goes back if it is still in the target, or still where the merge left it (unassigned).
      const restorable = (snap: SnapshotFace): FacePlacement | undefined => {
        const face = current.get(snap.id);
        if (!face) return undefined;
        const inTarget = face.personId === targetId;
        const leftUnassigned = snap.unassigned && face.personId === null && face.kind !== 'not_face';
        return inTarget || leftUnassigned ? face : undefined;
      };

      const restoredPersonIds: string[] = [];
      for (const entry of merged) {
        const photos = new Set<string>();
        for (const snap of entry.faces) {
          const face = restorable(snap);
          if (!face || photos.has(face.photoId)) continue;
          photos.add(face.photoId);
          await faces.assign([face.id], entry.person.id, snap.assignedBy);
        }
        if (entry.person.coverFaceId) await persons.setCover(entry.person.id, entry.person.coverFaceId);
        await persons.restoreExclusions(entry.person.id, entry.exclusions);
        if (photos.size) restoredPersonIds.push(entry.person.id);
      }
      if (targetEntry) {
        // A later merge into the target confirmed its faces again: then they stay confirmed.
        const confirmedSince = await persons.hasLaterMerge(merge);
        const targetPhotos = new Set((await faces.lockOfPersons([targetId])).map((face) => face.photoId));
        for (const snap of targetEntry.faces) {
          const face = restorable(snap);
          if (!face) continue;
          if (face.personId === targetId) {
            if (!confirmedSince) await faces.assign([face.id], targetId, snap.assignedBy);
          } else if (!targetPhotos.has(face.photoId)) {
            targetPhotos.add(face.photoId);
            await faces.assign([face.id], targetId, snap.assignedBy);
          }
        }
        await persons.restoreExclusions(targetId, targetEntry.liftedExclusions);
      }
      await persons.clearStaleCovers([targetId, ...merged.map((entry) => entry.person.id)]);
      const emptied = await persons.deleteIfEmpty([targetId, ...merged.map((entry) => entry.person.id)]);
      await persons.markMergeUndone(mergeId);
      this.logger.log(`owner ${ownerId}: undid merge ${mergeId} into ${targetId}, restored ${restoredPersonIds.length} person(s)`);
      return {
        restoredPersonIds: restoredPersonIds.filter((id) => !emptied.includes(id)),
        person: emptied.includes(targetId) ? null : await this.personView(persons, targetId),
      };
    });
  }

  /** Persons whose faces look closest to this person's, best first, for "same person?" prompts. */
  async similar(ownerId: string, personId: string, limit: number): Promise<{ people: Array<{ person: PersonView; similarity: number }> }> {
    const { persons } = this.owner(ownerId);
    await this.personView(persons, personId);
    const matches = await persons.similar(personId, limit);
    const found = new Map((await persons.findMany(matches.map((match) => match.personId))).map((p) => [p.id, p]));
    return {
      people: matches.flatMap((match) => {
        const person = found.get(match.personId);
        // Cosine similarity of the centroids, shown as 0..1 (opposite directions count as 0).
        return person ? [{ person: toPersonView(person), similarity: Math.min(1, Math.max(0, match.similarity)) }] : [];
      }),
    };
  }

  /** The face, placed by the user in an existing or a new person. 409 if that person already has a face of the photo. */
  async moveFace(ownerId: string, faceId: string, to: MoveTarget): Promise<FaceView> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const face = await this.lockFace(faces, faceId);
      let personId: string;
      if ('personId' in to) {
        const [person] = await persons.lock([to.personId]);
        if (!person) throw new NotFoundException(`person ${to.personId} not found`);
        personId = person.id;
        const onPhoto = (await faces.personsOnPhotos([face.photoId])).get(face.photoId);
        if (face.personId !== personId && onPhoto?.has(personId)) {
          throw new ConflictException(`person ${personId} already has a face on photo ${face.photoId}; one person appears once per photo`);
        }
        await persons.removeExclusions(personId, [face.id]);
      } else {
        personId = await persons.create(to.newPerson.name ?? null);
      }
      if (face.personId !== personId) await persons.clearCoverOfFaces([face.id]);
      await faces.assign([face.id], personId, 'user');
      // Placing a face in a person takes back an earlier "not a face".
      if (face.kind === 'not_face') await faces.setKind(face.id, 'face');
      if (face.personId && face.personId !== personId) await persons.deleteIfEmpty([face.personId]);
      return this.faceView(faces, face.id);
    });
  }

  /** Takes the face out of its person and records "not this person", so it never returns there. */
  async removeFace(ownerId: string, faceId: string): Promise<FaceView> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const face = await this.lockFace(faces, faceId);
      if (!face.personId) throw new ConflictException(`face ${faceId} belongs to no person`);
      await persons.addExclusion(face.id, face.personId);
      await persons.clearCoverOfFaces([face.id]);
      await faces.assign([face.id], null, 'cluster');
      await persons.deleteIfEmpty([face.personId]);
      return this.faceView(faces, face.id);
    });
  }

  /** The user says the detection is not a face: it leaves its person and takes no part in clustering. */
  async markNotFace(ownerId: string, faceId: string): Promise<FaceView> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const face = await this.lockFace(faces, faceId);
      await faces.setKind(face.id, 'not_face');
      if (face.personId) {
        await persons.clearCoverOfFaces([face.id]);
        await faces.assign([face.id], null, 'cluster');
        await persons.deleteIfEmpty([face.personId]);
      }
      return this.faceView(faces, face.id);
    });
  }

  private async personView(persons: PersonRepository, personId: string): Promise<PersonView> {
    const person = await persons.find(personId);
    if (!person) throw new NotFoundException(`person ${personId} not found`);
    return toPersonView(person);
  }

  private async lockFace(faces: FaceRepository, faceId: string): Promise<FacePlacement> {
    const [face] = await faces.lock([faceId]);
    if (!face) throw new NotFoundException(`face ${faceId} not found`);
    return face;
  }

  private async faceView(faces: FaceRepository, faceId: string): Promise<FaceView> {
    const face = await faces.find(faceId);
    if (!face) throw new NotFoundException(`face ${faceId} not found`);
    return toFaceView(face);
  }
}
