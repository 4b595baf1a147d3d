import { Inject, Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import {
  DATABASE,
  Repositories,
  withTransaction,
  type ClusteringRun,
  type ClusteringRunRequester,
  type ClusteringRunResult,
  type Database,
  type FaceEmbedding,
  type FaceRepository,
  type OwnerRepositories,
  type PersonRow,
  type Queryable,
} from '@facecloud/storage';
import { groupPersons, personGroupingSettings } from './group-persons';
import { joinByAverageLinkage, type PersonCandidate } from './join-person';
import { linkageThresholdFor } from './linkage-threshold';
import { voteForPerson } from './neighbour-vote';
import type { ResolvedPersons } from './resolve-persons';

interface RunInput {
  faces: FaceEmbedding[];
  persons: PersonRow[];
  exclusions: Map<string, Set<string>>;
}

/** What a run's result depends on besides the embeddings: placements and user decisions. */
function decisionsKey(
  faces: ReadonlyArray<{ id: string; personId: string | null; assignedBy: string; kind?: string }>,
  persons: readonly PersonRow[],
  exclusions: ReadonlyMap<string, ReadonlySet<string>>,
): string {
  const faceKeys = faces.map((f) => `${f.id}:${f.personId ?? ''}:${f.assignedBy}:${f.kind ?? 'face'}`).sort();
  const personKeys = persons.map((p) => `${p.id}:${p.name !== null}:${p.hidden}:${p.coverFaceId ?? ''}`).sort();
  const exclusionKeys = [...exclusions].flatMap(([faceId, personIds]) => [...personIds].map((p) => `${faceId}:${p}`)).sort();
  return `${faceKeys.join(',')}|${personKeys.join(',')}|${exclusionKeys.join(',')}`;
}

/** Serialization failures and deadlocks against concurrent user decisions: the attempt is repeated. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

const OPTIMISTIC_ATTEMPTS = 2;

/**
 * Groups owners' faces into persons. A run is a job (table `clustering_runs`): queued by the
 * schedule, the API or an operator, claimed by any clusterer process, one at a time per
 * owner; runs of different owners never wait for each other. Between runs, new faces join
 * existing persons by a vote of their nearest assigned faces (incremental assignment).
 * Every user decision (placed faces, "not this person", merges, names, hidden persons) is a
 * constraint no run or assignment overrides (see resolvePersons).
 */
@Injectable()
export class FaceClusteringService {
  private readonly logger = new Logger(FaceClusteringService.name);
  private readonly claimer = `${hostname()}:${process.pid}`;
  private iterativeScan: Promise<boolean> | undefined;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repositories: Repositories,
  ) {}

  /** The owner's repositories on `db`: the pool, or a transaction's client. */
  private owner(ownerId: string, db: Queryable = this.database.pool): OwnerRepositories {
    return this.repositories.forOwner(db, ownerId);
  }

  /** The run queue and the other queries across owners, on the pool. */
  private get acrossOwners() {
    return this.repositories.acrossOwners(this.database.pool);
  }

  /** Re-clusters one owner now (queued as a job and run by this process) and returns the result. */
  async clusterOwner(ownerId: string, requestedBy: ClusteringRunRequester = 'admin'): Promise<ClusteringRunResult> {
    const run = await this.runNow(ownerId, requestedBy, this.config.CLUSTER_RUN_WAIT_SECONDS * 1000);
    if (run.status === 'failed') throw new Error(`clustering run ${run.id} failed: ${run.error}`);
    if (run.status !== 'done') throw new Error(`clustering run ${run.id} still ${run.status} after the wait`);
    return { faceCount: run.faceCount ?? 0, personCount: run.personCount ?? 0, noiseCount: run.noiseCount ?? 0 };
  }

  /** Queues a run for the owner (or joins the one already queued); a clusterer takes it. */
  requestRun(ownerId: string, requestedBy: ClusteringRunRequester): Promise<ClusteringRun> {
    return this.owner(ownerId).runs.enqueue(requestedBy);
  }

  getRun(ownerId: string, runId: string): Promise<ClusteringRun | undefined> {
    return this.owner(ownerId).runs.get(runId);
  }

  /**
   * Queues a run and sees it finished: this process runs it unless a clusterer already took
   * it, or waits while the owner's previous run finishes. Returns the run as it is when it
   * finished or when `timeoutMs` ran out (then still queued or running).
   */
  async runNow(ownerId: string, requestedBy: ClusteringRunRequester, timeoutMs: number): Promise<ClusteringRun> {
    const { runs } = this.owner(ownerId);
    const queue = this.acrossOwners.runs;
    const queued = await runs.enqueue(requestedBy);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.requeueLostRuns();
      const claimed = await queue.claim(this.claimer, await this.holder(), this.config.CLUSTER_RUN_LEASE_SECONDS, queued.id);
      if (claimed) return this.execute(claimed);
      const current = await runs.get(queued.id);
      if (!current || current.status === 'done' || current.status === 'failed' || Date.now() >= deadline) {
        return current ?? queued;
      }
      await sleep(Math.min(200, this.config.CLUSTER_POLL_INTERVAL_MS));
    }
  }

  /** Claims and runs queued runs until none is left (or `shouldStop`); returns how many ran. */
  async runQueued(shouldStop: () => boolean = () => false): Promise<number> {
    let count = 0;
    await this.requeueLostRuns();
    while (!shouldStop()) {
      const run = await this.acrossOwners.runs.claim(this.claimer, await this.holder(), this.config.CLUSTER_RUN_LEASE_SECONDS);
      if (!run) break;
      await this.execute(run);
      count++;
    }
    return count;
  }

  /**
   * Runs left `running` by a clusterer that died (process gone: at once; stuck: after
   * CLUSTER_RUN_LEASE_SECONDS) are given up and queued again, so their owners' work restarts
   * instead of waiting out the lease. Called before every claim, so a restarted process takes
   * them over on its first pass. Returns how many.
   */
  async requeueLostRuns(): Promise<number> {
    const lost = await this.acrossOwners.runs.requeueLost();
    if (lost > 0) this.logger.warn(`${lost} clustering run(s) lost their clusterer; queued again`);
    return lost;
  }

  /** This process's claim holder number (its liveness lock, see ClaimHolder). */
  private holder(): Promise<number> {
    return this.database.claims.holderKey();
  }

  /**
   * The schedule: queues a run for every owner whose library changed enough since their last
   * run (or long enough ago). Returns how many were queued.
   */
  async scheduleDueRuns(): Promise<number> {
    await this.requeueLostRuns();
    const owners = await this.acrossOwners.runs.ownersDueForRun({
      minNewFaces: this.config.CLUSTER_RUN_MIN_NEW_FACES,
      minNewFraction: this.config.CLUSTER_RUN_MIN_NEW_FRACTION,
      maxDelaySeconds: this.config.CLUSTER_RUN_MAX_DELAY_SECONDS,
    });
    for (const ownerId of owners) await this.owner(ownerId).runs.enqueue('schedule');
    return owners.length;
  }

  /** Re-clusters every owner whose faces changed since their last run, now (operators). */
  async clusterChangedOwners(): Promise<number> {
    const owners = await this.acrossOwners.runs.ownersNeedingRun();
    for (const ownerId of owners) await this.clusterOwner(ownerId, 'admin');
    return owners.length;
  }

  /** Incremental assignment for every owner with new faces; returns how many faces joined a person. */
  async assignPendingFaces(ownerLimit = 100): Promise<number> {
    const timed = metrics.clusteringAssignSeconds.startTimer();
    let assigned = 0;
    try {
      for (const ownerId of await this.acrossOwners.faces.ownersWithPendingFaces(ownerLimit)) {
        assigned += (await this.assignPending(ownerId)).assigned;
      }
    } finally {
      timed();
    }
    return assigned;
  }

  /**
   * Offers each of the owner's new faces (not yet looked at by clustering) to the persons of
   * its nearest assigned faces (pgvector kNN, this owner's faces only), never a person the
   * user removed it from or one already on its photo. Average linkage (the default): it joins
   * the person its faces are most alike on average when that reaches the library's threshold
   * (joinByAverageLinkage), the comparison a full run makes; HDBSCAN: when enough of them vote
   * for one person (voteForPerson). Otherwise it waits for the next run.
   */
  async assignPending(ownerId: string): Promise<{ checked: number; assigned: number }> {
    return withTransaction(this.database.pool, async (client) => {
      await this.lockOwner(client, ownerId);
      const { faces, persons } = this.owner(ownerId, client);
      await faces.settlePending();
      const pending = await faces.listPendingForAssignment(this.config.CLUSTER_ASSIGN_BATCH);
      if (pending.length === 0) return { checked: 0, assigned: 0 };
      const ids = pending.map((face) => face.id);
      const assignedFaces = await faces.countAssigned();
      const placements: Array<{ faceId: string; personId: string }> = [];
      if (assignedFaces > 0) {
        const exact = assignedFaces <= this.config.CLUSTER_KNN_EXACT_MAX_FACES || !(await this.supportsIterativeScan(client));
        const nearest = await faces.nearestAssigned(ids, {
          // Extra candidates stand in for neighbours of persons the face may not join.
          neighbours: this.config.CLUSTER_ASSIGN_NEIGHBOURS * 3,
          exact,
          iterativeScan: !exact,
        });
        const exclusions = await persons.listExclusions({ faceIds: ids });
        const onPhoto = await faces.personsOnPhotos([...new Set(pending.map((f) => f.photoId))]);
        const choose = await this.assignmentRule(faces, pending, nearest);
        for (const face of pending) {
          const personsOfPhoto = onPhoto.get(face.photoId) ?? new Set<string>();
          const personId = choose(face.id, (candidate) => !exclusions.get(face.id)?.has(candidate) && !personsOfPhoto.has(candidate));
          if (personId === null) continue;
          placements.push({ faceId: face.id, personId });
          personsOfPhoto.add(personId);
          onPhoto.set(face.photoId, personsOfPhoto);
        }
      }
      const assigned = await faces.assignByCluster(placements);
      await faces.markClusterChecked(ids);
      if (assigned > 0) this.logger.log(`owner ${ownerId}: ${assigned} of ${ids.length} new face(s) joined existing persons`);
      return { checked: ids.length, assigned };
    });
  }

  /** How a pending face picks its person from its nearest assigned faces, under the configured algorithm. */
  private async assignmentRule(
    faces: FaceRepository,
    pending: ReadonlyArray<{ id: string }>,
    nearest: Map<string, Array<{ personId: string; similarity: number }>>,
  ): Promise<(faceId: string, allowed: (personId: string) => boolean) => string | null> {
    if (this.config.CLUSTER_ALGORITHM === 'hdbscan') {
      return (faceId, allowed) => voteForPerson(nearest.get(faceId) ?? [], personGroupingSettings(this.config).vote, allowed);
    }
    const pairs = pending.flatMap((face) => [...new Set((nearest.get(face.id) ?? []).map((n) => n.personId))].map((personId) => ({ faceId: face.id, personId })));
    const candidates = new Map<string, PersonCandidate[]>();
    for (const { faceId, personId, similarity, personFaces } of await faces.meanSimilarityToPersons(pairs)) {
      const list = candidates.get(faceId) ?? [];
      const nearestOfPerson = (nearest.get(faceId) ?? []).filter((n) => n.personId === personId).map((n) => n.similarity);
      list.push({ personId, meanSimilarity: similarity, faceCount: personFaces, nearest: nearestOfPerson });
      candidates.set(faceId, list);
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

  /** One writer per owner at a time: runs and incremental passes of one owner take turns. */
  private async lockOwner(db: Queryable, ownerId: string): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`facecloud.clustering:${ownerId}`]);
  }

  private async execute(run: ClusteringRun): Promise<ClusteringRun> {
    const startedAt = performance.now();
    const timed = metrics.clusteringRunSeconds.startTimer();
    try {
      const result = await this.cluster(run.ownerId, run.id);
      timed({ outcome: 'ok' });
      this.logger.log(
        `owner ${run.ownerId}: ${result.faceCount} faces → ${result.personCount} persons, ${result.noiseCount} unassigned ` +
          `(${Math.round(performance.now() - startedAt)} ms, run ${run.id}, ${run.requestedBy})`,
      );
    } catch (error) {
      timed({ outcome: 'failed' });
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`owner ${run.ownerId}: clustering run ${run.id} failed: ${message}`);
      await this.owner(run.ownerId).runs.fail(run.id, message);
    }
    return (await this.owner(run.ownerId).runs.get(run.id)) ?? run;
  }

  /**
   * Computes outside any transaction, then writes under locks if no user decision changed
   * meanwhile; after OPTIMISTIC_ATTEMPTS tries that met changes, computes under the locks.
   */
  private async cluster(ownerId: string, runId: string): Promise<ClusteringRunResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.attempt(ownerId, runId, attempt > OPTIMISTIC_ATTEMPTS);
        if (result) return result;
        this.logger.log(`owner ${ownerId}: decisions changed during the run; computing again`);
      } catch (error) {
        if (!isRetryable(error) || attempt > OPTIMISTIC_ATTEMPTS + 2) throw error;
      }
    }
  }

  private async attempt(ownerId: string, runId: string, underLock: boolean): Promise<ClusteringRunResult | undefined> {
    let input = underLock ? undefined : await this.readInput(this.owner(ownerId));
    let resolved = input && (await this.compute(input));
    return withTransaction(this.database.pool, async (client) => {
      await this.lockOwner(client, ownerId);
      const owner = this.owner(ownerId, client);
      const persons = await owner.persons.lock();
      input ??= await this.readInput(owner);
      const placements = await owner.faces.lock(input.faces.map((face) => face.id));
      const exclusions = await owner.persons.listExclusions();
      if (decisionsKey(input.faces, input.persons, input.exclusions) !== decisionsKey(placements, persons, exclusions)) {
        if (!underLock) return undefined;
        // The faces and persons are locked now, so this read stays true until the write.
        input = await this.readInput(owner);
        resolved = undefined;
      }
      resolved ??= await this.compute(input);
      await owner.persons.applyAssignments(resolved.assignments, input.faces.map((face) => face.id));
      const result: ClusteringRunResult = {
        faceCount: input.faces.length,
        personCount: resolved.assignments.length,
        noiseCount: input.faces.length - resolved.assignedFaceCount,
      };
      await owner.runs.finish(runId, result);
      return result;
    });
  }

  private async readInput(owner: OwnerRepositories): Promise<RunInput> {
    const faces = await owner.faces.listEmbeddings();
    const persons = await owner.persons.listRows();
    const exclusions = await owner.persons.listExclusions();
    return { faces, persons, exclusions };
  }

  private async compute(input: RunInput): Promise<ResolvedPersons> {
    const { resolved, grouping } = await groupPersons(input, personGroupingSettings(this.config));
    if (grouping.threshold !== undefined) this.logger.log(`${input.faces.length} faces: average linkage at cosine ${grouping.threshold}`);
    return resolved;
  }
}
