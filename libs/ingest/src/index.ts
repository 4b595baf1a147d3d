export { PhotoIngestService, FACE_ANALYZER } from './photo-ingest.service';
export { IngestModule, createFaceAnalyzer } from './ingest.module';
export { PhotoUploadService, ACCEPTED_FORMATS, type IncomingFile, type UploadResult } from './photo-upload.service';
export { UploadModule } from './upload.module';
export { PhotoDeletionService } from './photo-deletion.service';
export { PhotoLibraryService } from './photo-library.service';
export { PhotoPreviewService, type PhotoPreview } from './photo-preview.service';
