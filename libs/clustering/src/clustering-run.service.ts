import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import {
  ClusteringRunRepository,
  DATABASE,
  FaceRepository,
  PersonRepository,
  withTransaction,
  type ClusteringRun,
  type ClusteringRunResult,
  type Database,
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
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly runs: ClusteringRunRepository,
  ) {}

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
      await this.runs.fail(this.database.pool, run.id, message);
    }
    return (await this.runs.get(this.database.pool, run.ownerId, run.id)) ?? run;
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
    let input = underLock ? undefined : await this.read(this.database.pool, ownerId);
    let resolved = input && (await this.compute(input));
    return withTransaction(this.database.pool, async (client) => {
      await this.runs.lockOwner(client, ownerId);
      const persons = await this.persons.lockForClustering(client, ownerId);
      input ??= await this.read(client, ownerId);
      const placements = await this.faces.lockPlacements(client, ownerId, input.faces.map((face) => face.id));
      const exclusions = await this.persons.listExclusions(client, ownerId);
      if (decisionsKey(input.faces, input.persons, input.exclusions) !== decisionsKey(placements, persons, exclusions)) {
        if (!underLock) return undefined;
        // The faces and persons are locked now, so this read stays true until the write.
        input = await this.read(client, ownerId);
        resolved = undefined;
      }
      resolved ??= await this.compute(input);
      await this.persons.applyAssignments(
        client,
        ownerId,
        resolved.assignments,
        input.faces.map((face) => face.id),
      );
      const result: ClusteringRunResult = {
        faceCount: input.faces.length,
        personCount: resolved.assignments.length,
        noiseCount: input.faces.length - resolved.assignedFaceCount,
      };
      await this.runs.finish(client, runId, result);
      return result;
    });
  }

  private async read(db: Queryable, ownerId: string): Promise<PersonGroupingInput & { faces: RunFace[]; persons: RunPerson[] }> {
    const faces = await this.faces.listEmbeddings(db, ownerId);
    const persons = await this.persons.listForClustering(db, ownerId);
    const exclusions = await this.persons.listExclusions(db, ownerId);
    return { faces, persons, exclusions };
  }

  private async compute(input: PersonGroupingInput): Promise<ResolvedPersons> {
    const { resolved, grouping } = await groupPersons(input, personGroupingSettings(this.config));
    if (grouping.threshold !== undefined) this.logger.log(`${input.faces.length} faces: average linkage at cosine ${grouping.threshold}`);
    return resolved;
  }
}
