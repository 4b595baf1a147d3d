import { Module } from '@nestjs/common';
import { PhotoDeletionService } from './photo-deletion.service';
import { PhotoLibraryService } from './photo-library.service';
import { PhotoPreviewService } from './photo-preview.service';
import { PhotoUploadService } from './photo-upload.service';

const services = [PhotoUploadService, PhotoDeletionService, PhotoLibraryService, PhotoPreviewService];

/** The API side of the photo lifecycle (no models loaded); needs the global config, storage and queue modules. */
@Module({ providers: services, exports: services })
export class UploadModule {}
