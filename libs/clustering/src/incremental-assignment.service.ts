import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import {
  ClusteringRunRepository,
  DATABASE,
  FaceRepository,
  PersonRepository,
  withTransaction,
  type Database,
  type Queryable,
} from '@facecloud/storage';
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
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly runs: ClusteringRunRepository,
  ) {}

  /** Incremental assignment for every owner with new faces; returns how many faces joined a person. */
  async assignPendingFaces(ownerLimit = 100): Promise<number> {
    const timed = metrics.clusteringAssignSeconds.startTimer();
    let assigned = 0;
    try {
      for (const ownerId of await this.faces.ownersWithPendingFaces(this.database.pool, ownerLimit)) {
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
      await this.runs.lockOwner(client, ownerId);
      await this.faces.settlePending(client, ownerId);
      const pending = await this.faces.listPendingForAssignment(client, ownerId, this.config.CLUSTER_ASSIGN_BATCH);
      if (pending.length === 0) return { checked: 0, assigned: 0 };
      const ids = pending.map((face) => face.id);
      const placements: Array<{ faceId: string; personId: string }> = [];
      const assignedFaces = await this.faces.countAssigned(client, ownerId);
      if (assignedFaces > 0) {
        const nearest = await this.nearest(client, ownerId, ids, assignedFaces);
        const exclusions = await this.persons.listExclusions(client, ownerId, ids);
        const onPhoto = await this.persons.personsOnPhotos(client, ownerId, [...new Set(pending.map((f) => f.photoId))]);
        const candidates = await this.candidates(client, ownerId, ids, nearest);
        const choose = await this.assignmentRule(client, ownerId, nearest, candidates);
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
      const assigned = await this.persons.assignByCluster(client, ownerId, placements);
      await this.faces.markClusterChecked(client, ownerId, ids);
      if (assigned > 0) this.logger.log(`owner ${ownerId}: ${assigned} of ${ids.length} new face(s) joined existing persons`);
      return { checked: ids.length, assigned };
    });
  }

  /** Each face's nearest assigned faces: an exact scan for small libraries, the HNSW index for big ones. */
  private async nearest(db: Queryable, ownerId: string, faceIds: string[], assignedFaces: number): Promise<Map<string, Neighbour[]>> {
    const exact = assignedFaces <= this.config.CLUSTER_KNN_EXACT_MAX_FACES || !(await this.supportsIterativeScan(db));
    return this.faces.nearestAssigned(db, ownerId, faceIds, {
      // Extra candidates stand in for neighbours of persons the face may not join.
      neighbours: this.config.CLUSTER_ASSIGN_NEIGHBOURS * 3,
      exact,
      iterativeScan: !exact,
    });
  }

  /** Per face, the persons of its nearest faces with its mean similarity to each. */
  private async candidates(
    db: Queryable,
    ownerId: string,
    faceIds: readonly string[],
    nearest: ReadonlyMap<string, readonly Neighbour[]>,
  ): Promise<Map<string, PersonCandidate[]>> {
    const pairs = faceIds.flatMap((faceId) => [...new Set((nearest.get(faceId) ?? []).map((n) => n.personId))].map((personId) => ({ faceId, personId })));
    const candidates = new Map<string, PersonCandidate[]>();
    for (const { faceId, personId, similarity, personFaces } of await this.faces.meanSimilarityToPersons(db, ownerId, pairs)) {
      const list = candidates.get(faceId) ?? [];
      const nearestOfPerson = (nearest.get(faceId) ?? []).filter((n) => n.personId === personId).map((n) => n.similarity);
      list.push({ personId, meanSimilarity: similarity, faceCount: personFaces, nearest: nearestOfPerson });
      candidates.set(faceId, list);
    }
    return candidates;
  }

  /** How a pending face picks its person from its nearest assigned faces, under the configured algorithm. */
  private async assignmentRule(
    db: Queryable,
    ownerId: string,
    nearest: ReadonlyMap<string, readonly Neighbour[]>,
    candidates: ReadonlyMap<string, readonly PersonCandidate[]>,
  ): Promise<(faceId: string, allowed: (personId: string) => boolean) => string | null> {
    if (this.config.CLUSTER_ALGORITHM === 'hdbscan') {
      return (faceId, allowed) => voteForPerson(nearest.get(faceId) ?? [], personGroupingSettings(this.config).vote, allowed);
    }
    const threshold =
      this.config.CLUSTER_LINKAGE_THRESHOLD > 0 ? this.config.CLUSTER_LINKAGE_THRESHOLD : linkageThresholdFor(await this.faces.countClusterable(db, ownerId));
    const neighbours = this.config.CLUSTER_ASSIGN_NEIGHBOURS;
    return (faceId, allowed) => joinByAverageLinkage(candidates.get(faceId) ?? [], threshold, neighbours, allowed);
  }

  private supportsIterativeScan(db: Queryable): Promise<boolean> {
    this.iterativeScan ??= this.faces.pgvectorVersion(db).then((version) => {
      const [major, minor] = version.split('.').map(Number);
      return major > 0 || minor >= 8;
    });
    return this.iterativeScan;
  }
}
