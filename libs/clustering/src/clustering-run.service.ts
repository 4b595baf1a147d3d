import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import {
  DATABASE,
  Repositories,
  withTransaction,
  type ClusteringRun,
  type ClusteringRunResult,
  type Database,
  type OwnerRepositories,
  type Queryable,
} from '@facecloud/storage';
import { groupPersons, personGroupingSettings, type PersonGroupingInput } from './group-persons';
import type { ResolvedPersons, RunFace, RunPerson } from './resolve-persons';

/** What a run's result depends on besides the embeddings: placements and user decisions. */
function decisionsKey(
  faces: ReadonlyArray<Pick<RunFace, 'id' | 'personId' | 'assignedBy'> & { kind?: string }>,
  persons: readonly RunPerson[],
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
 * One clustering run of one owner (a claimed row of `clustering_runs`): read the library,
 * compute its persons (groupPersons: every user decision is a constraint, see
 * resolvePersons), write them, and record the outcome on the run.
 */
@Injectable()
export class ClusteringRunService {
  private readonly logger = new Logger(ClusteringRunService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repositories: Repositories,
  ) {}

  /** The owner's repositories on `db`: the pool, or a transaction's client. */
  private owner(ownerId: string, db: Queryable = this.database.pool): OwnerRepositories {
    return this.repositories.forOwner(db, ownerId);
  }

  /** Runs a claimed run to its end (done or failed) and returns it as it then is. */
  async execute(run: ClusteringRun): Promise<ClusteringRun> {
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
    let input = underLock ? undefined : await this.read(this.owner(ownerId));
    let resolved = input && (await this.compute(input));
    return withTransaction(this.database.pool, async (client) => {
      const owner = this.owner(ownerId, client);
      await owner.runs.lockOwner();
      const persons = await owner.persons.lock();
      input ??= await this.read(owner);
      const placements = await owner.faces.lock(input.faces.map((face) => face.id));
      const exclusions = await owner.persons.listExclusions();
      if (decisionsKey(input.faces, input.persons, input.exclusions) !== decisionsKey(placements, persons, exclusions)) {
        if (!underLock) return undefined;
        // The faces and persons are locked now, so this read stays true until the write.
        input = await this.read(owner);
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

  private async read(owner: OwnerRepositories): Promise<PersonGroupingInput & { faces: RunFace[]; persons: RunPerson[] }> {
    const faces = await owner.faces.listEmbeddings();
    const persons = await owner.persons.listRows();
    const exclusions = await owner.persons.listExclusions();
    return { faces, persons, exclusions };
  }

  private async compute(input: PersonGroupingInput): Promise<ResolvedPersons> {
    const { resolved, grouping } = await groupPersons(input, personGroupingSettings(this.config));
    if (grouping.threshold !== undefined) this.logger.log(`${input.faces.length} faces: average linkage at cosine ${grouping.threshold}`);
    return resolved;
  }
}
