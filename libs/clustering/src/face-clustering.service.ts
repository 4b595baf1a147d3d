import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import {
  ClusteringRunRepository,
  DATABASE,
  FaceRepository,
  PersonRepository,
  withTransaction,
  type ClusteringRunResult,
  type Database,
} from '@facecloud/storage';
import { groupFaces } from './group-faces';
import { matchClustersToPersons } from './person-matching';

/** Groups one owner's faces into persons and writes the result in one transaction. */
@Injectable()
export class FaceClusteringService {
  private readonly logger = new Logger(FaceClusteringService.name);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly runs: ClusteringRunRepository,
  ) {}

  async clusterOwner(ownerId: string): Promise<ClusteringRunResult> {
    const { pool } = this.database;
    const runId = await this.runs.start(pool, ownerId);
    const startedAt = performance.now();
    try {
      const faces = await this.faces.listEmbeddings(pool, ownerId);
      const groups = groupFaces(faces, {
        minClusterSize: this.config.CLUSTER_MIN_CLUSTER_SIZE,
        minSamples: this.config.CLUSTER_MIN_SAMPLES,
      }).map((group) => group.map((index) => faces[index].id));
      const assignments = matchClustersToPersons(groups, new Map(faces.map((face) => [face.id, face.personId])));
      const assignedCount = groups.reduce((sum, faceIds) => sum + faceIds.length, 0);
      const result: ClusteringRunResult = {
        faceCount: faces.length,
        personCount: groups.length,
        noiseCount: faces.length - assignedCount,
      };
      await withTransaction(pool, async (client) => {
        await this.persons.applyAssignments(client, ownerId, assignments);
        await this.runs.finish(client, runId, result);
      });
      this.logger.log(
        `owner ${ownerId}: ${result.faceCount} faces → ${result.personCount} persons, ${result.noiseCount} unassigned ` +
          `(${Math.round(performance.now() - startedAt)} ms)`,
      );
      return result;
    } catch (error) {
      await this.runs.fail(pool, runId, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** Re-clusters every owner whose faces changed since their last run. */
  async clusterChangedOwners(): Promise<number> {
    const owners = await this.runs.ownersNeedingRun(this.database.pool);
    for (const ownerId of owners) await this.clusterOwner(ownerId);
    return owners.length;
  }
}
