import { Module } from '@nestjs/common';
import { ClusteringModule } from '@facecloud/clustering';
import { ConfigModule } from '@facecloud/config';
import { LoggingModule, OpsModule } from '@facecloud/platform';
import { StorageModule } from '@facecloud/storage';
import { ClusteringScheduler } from './clustering-scheduler';

@Module({
  imports: [ConfigModule, LoggingModule, StorageModule, ClusteringModule, OpsModule],
  providers: [ClusteringScheduler],
})
export class ClustererModule {}
