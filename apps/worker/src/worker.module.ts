import { Module } from '@nestjs/common';
import { ConfigModule } from '@facecloud/config';
import { IngestModule } from '@facecloud/ingest';
import { LoggingModule, OpsModule } from '@facecloud/platform';
import { QueueModule } from '@facecloud/queue';
import { StorageModule } from '@facecloud/storage';
import { IngestWorker } from './ingest-worker';

@Module({
  imports: [ConfigModule, LoggingModule, StorageModule, QueueModule, IngestModule, OpsModule],
  providers: [IngestWorker],
})
export class WorkerModule {}
