import { Module } from '@nestjs/common';
import { PhotoUploadService } from './photo-upload.service';

/** The upload side of ingest (no models loaded); needs the global config, storage and queue modules. */
@Module({ providers: [PhotoUploadService], exports: [PhotoUploadService] })
export class UploadModule {}
