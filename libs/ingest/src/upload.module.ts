import { Module } from '@nestjs/common';
import { PhotoDeletionService } from './photo-deletion.service';
import { PhotoUploadService } from './photo-upload.service';

/** The API side of the photo lifecycle (no models loaded); needs the global config, storage and queue modules. */
@Module({ providers: [PhotoUploadService, PhotoDeletionService], exports: [PhotoUploadService, PhotoDeletionService] })
export class UploadModule {}
