import { mkdirSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { diskStorage } from 'multer';
import { AuthModule } from '@facecloud/auth';
import { APP_CONFIG, ConfigModule, type AppConfig } from '@facecloud/config';
import { ClusteringModule } from '@facecloud/clustering';
import { UploadModule } from '@facecloud/ingest';
import { PeopleModule } from '@facecloud/people';
import { LoggingModule, OpsModule } from '@facecloud/platform';
import { OutboxRelayRunner, QueueModule } from '@facecloud/queue';
import { StorageModule } from '@facecloud/storage';
import { AdminWebModule } from './admin-web.module';
import { ApiDocs } from './api-docs';
import { ApiAuthModule } from './auth/api-auth.module';
import { ClusteringController } from './clustering.controller';
import { FacesController } from './faces.controller';
import { InterruptedUploadsSweeper, incomingDirFromConfig } from './interrupted-uploads';
import { MergesController } from './merges.controller';
import { OperatorController } from './operator/operator.controller';
import { OperatorEndpoint } from './operator/operator-endpoint';
import { OperatorGuard } from './operator/operator.guard';
import { PeopleController } from './people.controller';
import { PhotosController } from './photos.controller';
import { QueueController } from './queue.controller';

/**
 * Uploads are streamed by multer to files beside the blob store (same file system, so
 * storing them is a rename), never buffered whole in memory; InterruptedUploadsSweeper
 * removes those a killed process left.
 */
function uploadOptions(config: AppConfig) {
  const incoming = incomingDirFromConfig(config);
  mkdirSync(incoming, { recursive: true });
  return {
    storage: diskStorage({ destination: incoming }),
    // Browsers send file names as raw UTF-8 in multipart headers (busboy assumes latin1).
    defParamCharset: 'utf8',
    limits: { fileSize: config.UPLOAD_MAX_FILE_BYTES, files: config.UPLOAD_MAX_FILES, fields: 20, parts: config.UPLOAD_MAX_FILES + 20 },
  };
}

@Module({
  imports: [
    ConfigModule,
    LoggingModule,
    OpsModule,
    StorageModule,
    QueueModule,
    UploadModule,
    ClusteringModule,
    PeopleModule,
    ApiAuthModule,
    AuthModule,
    AdminWebModule,
    MulterModule.registerAsync({ inject: [APP_CONFIG], useFactory: uploadOptions }),
  ],
  controllers: [
    PhotosController,
    PeopleController,
    MergesController,
    FacesController,
    ClusteringController,
    QueueController,
    OperatorController,
  ],
  providers: [OutboxRelayRunner, ApiDocs, InterruptedUploadsSweeper, OperatorEndpoint, OperatorGuard],
})
export class ApiModule {}
