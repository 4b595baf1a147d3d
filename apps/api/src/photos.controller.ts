import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  StreamableFile,
  UnsupportedMediaTypeException,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Response } from 'express';
import { PhotoUploadService, type UploadResult } from '@facecloud/ingest';
import { BLOB_STORE, DATABASE, FaceRepository, PhotoRepository, type BlobStore, type Database } from '@facecloud/storage';
import { OwnerId } from './owner.decorator';

@Controller('photos')
export class PhotosController {
  constructor(
    private readonly uploads: PhotoUploadService,
    private readonly photos: PhotoRepository,
    private readonly faces: FaceRepository,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  /**
   * Multipart upload, any field name, one or more files. 202 when something new was
   * queued, 200 when every file was already there, 415 when every file was refused.
   */
  @Post()
  @UseInterceptors(AnyFilesInterceptor())
  async upload(
    @OwnerId() ownerId: string,
    @UploadedFiles() files: Express.Multer.File[] | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ photos: UploadResult[] }> {
    if (!files?.length) {
      throw new BadRequestException('no files: send multipart/form-data with one or more image files');
    }
    const results = await this.uploads.accept(
      ownerId,
      files.map((file) => ({ path: file.path, originalName: file.originalname })),
    );
    if (results.every((result) => result.outcome === 'rejected')) {
      throw new UnsupportedMediaTypeException({ message: 'no file was accepted', photos: results });
    }
    response.status(results.some((result) => result.outcome === 'accepted') ? 202 : 200);
    return { photos: results };
  }

  @Get(':id')
  async get(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string) {
    const photo = await this.photos.findById(this.database.pool, id, ownerId);
    if (!photo) throw new NotFoundException(`photo ${id} not found`);
    const faces = await this.faces.listForPhoto(this.database.pool, id);
    return {
      id: photo.id,
      status: photo.status,
      failureReason: photo.failureReason,
      fileName: photo.originalName,
      contentType: photo.contentType,
      byteSize: photo.byteSize,
      width: photo.width,
      height: photo.height,
      faceCount: photo.faceCount,
      uploadedAt: photo.uploadedAt,
      processedAt: photo.processedAt,
      faces: faces.map((face) => ({
        id: face.id,
        box: face.box,
        landmarks: face.landmarks,
        score: face.detectionScore,
        personId: face.personId,
        thumbnailUrl: `/faces/${face.id}/thumbnail`,
      })),
    };
  }

  @Get(':id/original')
  async original(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const photo = await this.photos.findById(this.database.pool, id, ownerId);
    if (!photo) throw new NotFoundException(`photo ${id} not found`);
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    response.setHeader('ETag', `"${photo.sha256}"`);
    return new StreamableFile(this.blobs.read(photo.sha256), { type: photo.contentType, length: photo.byteSize });
  }
}
