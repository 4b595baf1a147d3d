import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import { DATABASE, Repositories, withTransaction, type Database, type FaceRepository, type Queryable } from '@facecloud/storage';
import { personGroupingSettings } from './group-persons';
import { joinByAverageLinkage, type PersonCandidate } from './join-person';
import { linkageThresholdFor } from './linkage-threshold';
import { voteForPerson, type Neighbour } from './neighbour-vote';
import { placeOnePerPhoto } from './person-rules';

/**
 * Between runs, new faces join existing persons (incremental assignment): each of an owner's
 * new faces (not yet looked at by clustering) is offered to the persons of its nearest
 * assigned faces (pgvector kNN, this owner's faces only), never a person the user removed it
 * from or one already on its photo. Average linkage (the default): it joins the person its
 * faces are most alike on average when that reaches the library's threshold
 * (joinByAverageLinkage), the comparison a full run makes; HDBSCAN: when enough of them vote
 * for one person (voteForPerson). Otherwise it waits for the next run. Faces of one photo that
 * want the same person are settled by the person rule (placeOnePerPhoto).
 */
@Injectable()
export class IncrementalAssignmentService {
  private readonly logger = new Logger(IncrementalAssignmentService.name);
  private iterativeScan: Promise<boolean> | undefined;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repositories: Repositories,
  ) {}

  /** Incremental assignment for every owner with new faces; returns how many faces joined a person. */
  async assignPendingFaces(ownerLimit = 100): Promise<number> {
    const timed = metrics.clusteringAssignSeconds.startTimer();
    let assigned = 0;
    try {
      for (const ownerId of await this.repositories.acrossOwners(this.database.pool).faces.ownersWithPendingFaces(ownerLimit)) {
        assigned += (await this.assignPending(ownerId)).assigned;
      }
    } finally {
      timed();
    }
    return assigned;
  }

  /** One pass over the owner's new faces (at most CLUSTER_ASSIGN_BATCH). */
  async assignPending(ownerId: string): Promise<{ checked: number; assigned: number }> {
    return withTransaction(this.database.pool, async (client) => {
      const { faces, persons, runs } = this.repositories.forOwner(client, ownerId);
      await runs.lockOwner();
      await faces.settlePending();
      const pending = await faces.listPendingForAssignment(this.config.CLUSTER_ASSIGN_BATCH);
      if (pending.length === 0) return { checked: 0, assigned: 0 };
      const ids = pending.map((face) => face.id);
      const placements: Array<{ faceId: string; personId: string }> = [];
      const assignedFaces = await faces.countAssigned();
      if (assignedFaces > 0) {
        const nearest = await this.nearest(client, faces, ids, assignedFaces);
        const exclusions = await persons.listExclusions({ faceIds: ids });
        const onPhoto = await faces.personsOnPhotos([...new Set(pending.map((f) => f.photoId))]);
        const candidates = await this.candidates(faces, ids, nearest);
        const choose = await this.assignmentRule(faces, nearest, candidates);
        const placed = placeOnePerPhoto(
          pending,
          (face, allowed) => choose(face.id, (personId) => !exclusions.get(face.id)?.has(personId) && allowed(personId)),
          {
            taken: (photoId, personId) => onPhoto.get(photoId)?.has(personId) ?? false,
            similarity: (face, personId) => candidates.get(face.id)?.find((c) => c.personId === personId)?.meanSimilarity ?? 0,
          },
        );
        for (const [faceId, personId] of placed) placements.push({ faceId, personId });
      }
      const assigned = await faces.assignByCluster(placements);
      await faces.markClusterChecked(ids);
      if (assigned > 0) this.logger.log(`owner ${ownerId}: ${assigned} of ${ids.length} new face(s) joined existing persons`);
      return { checked: ids.length, assigned };
    });
  }

  /** Each face's nearest assigned faces: an exact scan for small libraries, the HNSW index for big ones. */
  private async nearest(db: Queryable, faces: FaceRepository, faceIds: string[], assignedFaces: number): Promise<Map<string, Neighbour[]>> {
    const exact = assignedFaces <= this.config.CLUSTER_KNN_EXACT_MAX_FACES || !(await this.supportsIterativeScan(db));
    return faces.nearestAssigned(faceIds, {
      // Extra candidates stand in for neighbours of persons the face may not join.
      neighbours: this.config.CLUSTER_ASSIGN_NEIGHBOURS * 3,
      exact,
      iterativeScan: !exact,
    });
  }

  /** Per face, the persons of its nearest faces with its mean similarity to each. */
  private async candidates(
    faces: FaceRepository,
    faceIds: readonly string[],
    nearest: ReadonlyMap<string, readonly Neighbour[]>,
  ): Promise<Map<string, PersonCandidate[]>> {
    const pairs = faceIds.flatMap((faceId) => [...new Set((nearest.get(faceId) ?? []).map((n) => n.personId))].map((personId) => ({ faceId, personId })));
    const candidates = new Map<string, PersonCandidate[]>();
    for (const { faceId, personId, similarity, personFaces } of await faces.meanSimilarityToPersons(pairs)) {
      const list = candidates.get(faceId) ?? [];
      const nearestOfPerson = (nearest.get(faceId) ?? []).filter((n) => n.personId === personId).map((n) => n.similarity);
      list.push({ personId, meanSimilarity: similarity, faceCount: personFaces, nearest: nearestOfPerson });
      candidates.set(faceId, list);
    }
    return candidates;
  }

  /** How a pending face picks its person from its nearest assigned faces, under the configured algorithm. */
  private async assignmentRule(
    faces: FaceRepository,
    nearest: ReadonlyMap<string, readonly Neighbour[]>,
    candidates: ReadonlyMap<string, readonly PersonCandidate[]>,
  ): Promise<(faceId: string, allowed: (personId: string) => boolean) => string | null> {
    if (this.config.CLUSTER_ALGORITHM === 'hdbscan') {
      return (faceId, allowed) => voteForPerson(nearest.get(faceId) ?? [], personGroupingSettings(this.config).vote, allowed);
    }
    const threshold =
      this.config.CLUSTER_LINKAGE_THRESHOLD > 0 ? this.config.CLUSTER_LINKAGE_THRESHOLD : linkageThresholdFor(await faces.countClusterable());
    const neighbours = this.config.CLUSTER_ASSIGN_NEIGHBOURS;
    return (faceId, allowed) => joinByAverageLinkage(candidates.get(faceId) ?? [], threshold, neighbours, allowed);
  }

  private supportsIterativeScan(db: Queryable): Promise<boolean> {
    this.iterativeScan ??= this.repositories.acrossOwners(db).faces.pgvectorVersion().then((version) => {
      const [major, minor] = version.split('.').map(Number);
      return major > 0 || minor >= 8;
    });
    return this.iterativeScan;
  }
}
