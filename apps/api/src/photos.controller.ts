import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { PhotoDeletionService, PhotoUploadService, type UploadResult } from '@facecloud/ingest';
import { PeopleService, PhotoPreviewService } from '@facecloud/people';
import {
  BLOB_STORE,
  DATABASE,
  Repositories,
  type BlobStore,
  type Database,
  type Photo,
  type PhotoCursor,
} from '@facecloud/storage';
import { ApiJpeg, ApiZodOk, ApiZodQuery } from './api-docs';
import { OwnerId } from './owner.decorator';
import { photoDetail, previewQuery } from './people.schemas';
import { ZodValidationPipe } from './zod-validation.pipe';

/** Opaque page cursor: base64url of "<uploadedAt ISO>|<id>" of the last photo of a page. */
const cursorSchema = z
  .string()
  .max(200)
  .transform((value, context): PhotoCursor => {
    const [uploadedAt, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
    const date = new Date(uploadedAt ?? '');
    if (Number.isNaN(date.getTime()) || !z.uuid().safeParse(id).success) {
      context.addIssue({ code: 'custom', message: 'invalid cursor (use nextCursor from a previous page)' });
      return z.NEVER;
    }
    return { uploadedAt: date, id };
  });

const listQuerySchema = z.object({
  status: z.enum(['queued', 'processing', 'done', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorSchema.optional(),
});

const encodeCursor = (photo: Photo) => Buffer.from(`${photo.uploadedAt.toISOString()}|${photo.id}`).toString('base64url');

function photoSummary(photo: Photo) {
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
  };
}

@Controller('photos')
export class PhotosController {
  constructor(
    private readonly uploads: PhotoUploadService,
    private readonly deletion: PhotoDeletionService,
    private readonly repositories: Repositories,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly people: PeopleService,
    private readonly previews: PhotoPreviewService,
  ) {}

  private photos(ownerId: string) {
    return this.repositories.forOwner(this.database.pool, ownerId).photos;
  }

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

  /** The caller's photos, newest first, optionally by status; `nextCursor` fetches the next page. */
  @Get()
  async list(
    @OwnerId() ownerId: string,
    @Query(new ZodValidationPipe(listQuerySchema)) query: z.infer<typeof listQuerySchema>,
  ) {
    const page = await this.photos(ownerId).list({
      status: query.status,
      limit: query.limit + 1,
      after: query.cursor,
    });
    const photos = page.slice(0, query.limit);
    return {
      photos: photos.map(photoSummary),
      nextCursor: page.length > query.limit ? encodeCursor(photos[photos.length - 1]) : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A photo: status, size and its faces with boxes and person names (to draw boxes)' })
  @ApiZodOk(photoDetail)
  async get(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string) {
    const photo = await this.photos(ownerId).find(id);
    if (!photo) throw new NotFoundException(`photo ${id} not found`);
    const faces = await this.people.facesOfPhoto(ownerId, id);
    return {
      ...photoSummary(photo),
      faces: faces.map((face) => ({ ...face.view, landmarks: face.landmarks, score: face.detectionScore })),
    };
  }

  /** Downscaled, EXIF-rotated JPEG; face boxes scale by preview width / photo width. */
  @Get(':id/preview')
  @ApiOperation({ summary: 'The photo downscaled to `size` (longest side), EXIF-rotated; ETag and If-None-Match (304)' })
  @ApiZodQuery(previewQuery)
  @ApiJpeg('JPEG preview')
  async preview(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(previewQuery)) query: z.infer<typeof previewQuery>,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile | undefined> {
    const preview = await this.previews.find(ownerId, id, query.size);
    if (!preview) throw new NotFoundException(`photo ${id} not found`);
    response.setHeader('ETag', preview.etag);
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (request.fresh) {
      response.status(304);
      return undefined;
    }
    let jpeg: Buffer;
    try {
      jpeg = await preview.render();
    } catch (error) {
      response.removeHeader('ETag');
      response.removeHeader('Cache-Control');
      throw new UnprocessableEntityException(`photo ${id} cannot be decoded: ${(error as Error).message}`);
    }
    return new StreamableFile(jpeg, { type: 'image/jpeg', length: jpeg.length });
  }

  /** Removes the photo, its faces and (unless shared) its bytes; persons are updated. */
  @Delete(':id')
  @HttpCode(204)
  async delete(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.deletion.delete(ownerId, id))) throw new NotFoundException(`photo ${id} not found`);
  }

  @Get(':id/original')
  async original(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const photo = await this.photos(ownerId).find(id);
    if (!photo) throw new NotFoundException(`photo ${id} not found`);
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    response.setHeader('ETag', `"${photo.sha256}"`);
    // The user's own bytes: never sniffed as another type, never run as a page (polyglot files).
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    return new StreamableFile(this.blobs.read(photo.sha256), { type: photo.contentType, length: photo.byteSize });
  }
}
