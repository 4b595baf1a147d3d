import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  DATABASE,
  Repositories,
  withTransaction,
  type FaceRepository,
  type PersonRepository,
  type Database,
  type FaceCursor,
  type FacePlacement,
  type FaceRecord,
  type OwnerRepositories,
  type PersonCursor,
  type PersonListQuery,
  type PersonRecord,
  type Queryable,
} from '@facecloud/storage';
import { facesSharingAPhoto, planMerge, planUndo, type MergeSnapshotEntry } from './merge-plan';

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

/**
 * The user's decisions about persons and faces: naming, hiding, covers, merges (with exact
 * undo) and moving faces. Every operation is scoped to one owner: an id of another owner
 * behaves as an id that does not exist. Writes run in one transaction each, locking the
 * rows they decide about, so concurrent requests and clustering runs never see half a merge.
 * What to change is decided by the person rules (merge-plan.ts, keepOneFacePerPhoto); the
 * database removes persons left without faces and covers that left their person (migration 0010).
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

  /** Up to `limit` persons after the cursor's position. */
  list(ownerId: string, request: PersonListRequest): Promise<PersonRecord[]> {
    // A cursor of the other sort order is stale (the client changed the sort): start over.
    const after = request.cursor?.sort === request.sort ? request.cursor : undefined;
    return this.owner(ownerId).persons.list({
      sort: request.sort,
      filter: request.filter,
      search: request.q,
      limit: request.limit,
      after,
    });
  }

  get(ownerId: string, personId: string): Promise<PersonRecord> {
    return this.findPerson(this.owner(ownerId).persons, personId);
  }

  /** Up to `limit` faces of the person after the cursor's position, best quality first. */
  async listFaces(ownerId: string, personId: string, page: { limit: number; cursor?: FaceCursor }): Promise<FaceRecord[]> {
    const owner = this.owner(ownerId);
    await this.findPerson(owner.persons, personId);
    return owner.faces.listOfPerson(personId, { limit: page.limit, after: page.cursor });
  }

  async update(
    ownerId: string,
    personId: string,
    changes: { name?: string | null; hidden?: boolean; coverFaceId?: string | null },
  ): Promise<PersonRecord> {
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
      return this.findPerson(persons, personId);
    });
  }

  /** The faces of a photo with their persons' names, to draw boxes. */
  facesOfPhoto(ownerId: string, photoId: string): Promise<FaceRecord[]> {
    return this.owner(ownerId).faces.listOfPhoto(photoId);
  }

  /**
   * Merges `mergedIds` into `targetId`: their faces move to the target, every face of the
   * result is marked placed by the user, and the merged persons are deleted. Where two faces
   * of one photo meet, the better one stays and the other is unassigned (one person appears
   * once per photo). The snapshot stored with the merge record makes undo exact.
   */
  async merge(ownerId: string, targetId: string, mergedIds: string[]): Promise<{ merge: MergeView; person: PersonRecord }> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const rows = await persons.lock([targetId, ...mergedIds]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of [targetId, ...mergedIds]) {
        if (!byId.has(id)) throw new NotFoundException(`person ${id} not found`);
      }
      const placements = await faces.lockOfPersons([targetId, ...mergedIds]);
      const similarity = await persons.similarityToMeanOf([targetId, ...mergedIds], facesSharingAPhoto(placements));
      const plan = planMerge(byId.get(targetId)!, placements, similarity);
      const movedIds = plan.moved;
      const snapshot: MergeSnapshotEntry[] = [];
      for (const id of mergedIds) {
        const exclusions = [...(await persons.listExclusions({ personIds: [id] })).keys()];
        snapshot.push({ role: 'merged', person: byId.get(id)!, faces: plan.snapshotFaces(id), exclusions });
      }
      // Merging says these faces are the target's person: lift any "not this person" between them.
      const liftedExclusions = await persons.removeExclusions(targetId, movedIds);
      snapshot.push({ role: 'target', personId: targetId, faces: plan.snapshotFaces(targetId), liftedExclusions });

      await faces.assign(plan.unassigned, null, 'cluster');
      await faces.assign(movedIds, targetId, 'user');
      await faces.confirmAllOf(targetId);
      await persons.delete(mergedIds);
      const record = await persons.insertMerge(targetId, snapshot);
      this.logger.log(
        `owner ${ownerId}: merged ${mergedIds.length} person(s) into ${targetId} (${movedIds.length} faces moved, ` +
          `${plan.unassigned.length} unassigned as second faces of a photo)`,
      );
      return {
        merge: { id: record.id, targetPersonId: targetId, mergedPersonIds: mergedIds, createdAt: record.createdAt },
        person: await this.findPerson(persons, targetId),
      };
    });
  }

  /**
   * Restores the merged persons under their old ids, with their names, hidden flags, covers
   * and exclusions, and gives them back their faces with their old assigned_by. Faces the
   * user moved elsewhere since stay where they are; a face is not restored into a person
   * that meanwhile got another face of its photo.
   */
  async undoMerge(ownerId: string, mergeId: string): Promise<{ restoredPersonIds: string[]; person: PersonRecord | null }> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const merge = await persons.lockMerge(mergeId);
      if (!merge) throw new NotFoundException(`merge ${mergeId} not found`);
      if (merge.undoneAt) throw new ConflictException(`merge ${mergeId} was already undone at ${merge.undoneAt.toISOString()}`);
      const targetId = merge.targetPersonId;
      await persons.lock([targetId]);
      const entries = merge.mergedPersons as MergeSnapshotEntry[];
      const snapshotFaceIds = entries.flatMap((entry) => entry.faces.map((face) => face.id));
      const plan = planUndo({
        targetId,
        entries,
        current: new Map((await faces.lock(snapshotFaceIds)).map((face) => [face.id, face])),
        targetFaces: await faces.lockOfPersons([targetId]),
        // A later merge into the target confirmed its faces again: then they stay confirmed.
        confirmedSince: await persons.hasLaterMerge(merge),
      });
      for (const { person, coverFaceId } of plan.restored) await persons.restore({ ...person, coverFaceId });
      for (const move of plan.moves) await faces.assign([move.faceId], move.personId, move.assignedBy);
      for (const { person, exclusions } of plan.restored) await persons.restoreExclusions(person.id, exclusions);
      await persons.restoreExclusions(targetId, plan.liftedExclusions);
      const restoredPersonIds = plan.restored.map(({ person }) => person.id);
      await persons.markMergeUndone(mergeId);
      this.logger.log(`owner ${ownerId}: undid merge ${mergeId} into ${targetId}, restored ${restoredPersonIds.length} person(s)`);
      return { restoredPersonIds, person: plan.targetEmptied ? null : await this.findPerson(persons, targetId) };
    });
  }

  /** Persons whose faces look closest to this person's, best first, for "same person?" prompts. */
  async similar(ownerId: string, personId: string, limit: number): Promise<Array<{ person: PersonRecord; similarity: number }>> {
    const { persons } = this.owner(ownerId);
    await this.findPerson(persons, personId);
    const matches = await persons.similar(personId, limit);
    const found = new Map((await persons.findMany(matches.map((match) => match.personId))).map((p) => [p.id, p]));
    return matches.flatMap((match) => {
      const person = found.get(match.personId);
      // Cosine similarity of the centroids, shown as 0..1 (opposite directions count as 0).
      return person ? [{ person, similarity: Math.min(1, Math.max(0, match.similarity)) }] : [];
    });
  }

  /** The face, placed by the user in an existing or a new person. 409 if that person already has a face of the photo. */
  async moveFace(ownerId: string, faceId: string, to: MoveTarget): Promise<FaceRecord> {
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
      await faces.assign([face.id], personId, 'user');
      // Placing a face in a person takes back an earlier "not a face".
      if (face.kind === 'not_face') await faces.setKind(face.id, 'face');
      return this.findFace(faces, face.id);
    });
  }

  /** Takes the face out of its person and records "not this person", so it never returns there. */
  async removeFace(ownerId: string, faceId: string): Promise<FaceRecord> {
    return withTransaction(this.database.pool, async (client) => {
      const { persons, faces } = this.owner(ownerId, client);
      const face = await this.lockFace(faces, faceId);
      if (!face.personId) throw new ConflictException(`face ${faceId} belongs to no person`);
      await persons.addExclusion(face.id, face.personId);
      await faces.assign([face.id], null, 'cluster');
      return this.findFace(faces, face.id);
    });
  }

  /** The user says the detection is not a face: it leaves its person and takes no part in clustering. */
  async markNotFace(ownerId: string, faceId: string): Promise<FaceRecord> {
    return withTransaction(this.database.pool, async (client) => {
      const { faces } = this.owner(ownerId, client);
      const face = await this.lockFace(faces, faceId);
      await faces.setKind(face.id, 'not_face');
      if (face.personId) await faces.assign([face.id], null, 'cluster');
      return this.findFace(faces, face.id);
    });
  }

  private async findPerson(persons: PersonRepository, personId: string): Promise<PersonRecord> {
    const person = await persons.find(personId);
    if (!person) throw new NotFoundException(`person ${personId} not found`);
    return person;
  }

  private async lockFace(faces: FaceRepository, faceId: string): Promise<FacePlacement> {
    const [face] = await faces.lock([faceId]);
    if (!face) throw new NotFoundException(`face ${faceId} not found`);
    return face;
  }

  private async findFace(faces: FaceRepository, faceId: string): Promise<FaceRecord> {
    const face = await faces.find(faceId);
    if (!face) throw new NotFoundException(`face ${faceId} not found`);
    return face;
  }
}
