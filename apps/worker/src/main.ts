import 'reflect-metadata';
import { bootstrapBackground } from '@facecloud/platform';
import { WorkerModule } from './worker.module';

/** Ingest worker: photo → faces → database. Run as many as the queue has partitions. */
void bootstrapBackground(WorkerModule);
