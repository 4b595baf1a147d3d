import { Module } from '@nestjs/common';
import { ApiModule } from '../../api/src/api.module';
import { ClustererModule } from '../../clusterer/src/clusterer.module';
import { WorkerModule } from '../../worker/src/worker.module';

/**
 * API, worker and clusterer in one process: the embedded default (PGlite allows only one
 * process on its data directory) and the simplest small deployment.
 */
@Module({ imports: [ApiModule, WorkerModule, ClustererModule] })
export class AllInOneModule {}
