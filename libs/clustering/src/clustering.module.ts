import { Module } from '@nestjs/common';
import type { AppConfig } from '@facecloud/config';
import { ClusteringRunRepository, FaceRepository, PersonRepository, type Database } from '@facecloud/storage';
import { ClusteringQueueService } from './clustering-queue.service';
import { ClusteringRunService } from './clustering-run.service';
import { IncrementalAssignmentService } from './incremental-assignment.service';

const services = [ClusteringQueueService, ClusteringRunService, IncrementalAssignmentService];

/** Needs the (global) config and storage modules. */
@Module({ providers: services, exports: services })
export class ClusteringModule {}

/** The clustering services without a Nest container (tests, benchmarks). */
export function clusteringServices(database: Database, config: AppConfig) {
  const faces = new FaceRepository();
  const persons = new PersonRepository();
  const runs = new ClusteringRunRepository();
  const runner = new ClusteringRunService(database, config, faces, persons, runs);
  return {
    queue: new ClusteringQueueService(database, config, runs, runner),
    runner,
    assignment: new IncrementalAssignmentService(database, config, faces, persons, runs),
  };
}
