import { Module } from '@nestjs/common';
import type { AppConfig } from '@facecloud/config';
import { Repositories, type Database } from '@facecloud/storage';
import { ClusteringQueueService } from './clustering-queue.service';
import { ClusteringRunService } from './clustering-run.service';
import { IncrementalAssignmentService } from './incremental-assignment.service';

const services = [ClusteringQueueService, ClusteringRunService, IncrementalAssignmentService];

/** Needs the (global) config and storage modules. */
@Module({ providers: services, exports: services })
export class ClusteringModule {}

/** The clustering services without a Nest container (tests, benchmarks). */
export function clusteringServices(database: Database, config: AppConfig) {
  const repositories = new Repositories();
  const runner = new ClusteringRunService(database, config, repositories);
  return {
    queue: new ClusteringQueueService(database, config, repositories, runner),
    runner,
    assignment: new IncrementalAssignmentService(database, config, repositories),
  };
}
