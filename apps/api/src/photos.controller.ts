import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
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
import type { z } from 'zod';
import { listPhotosQuery, photoDetail, previewQuery, type PhotoDetail, type PhotosPage, type UploadResponse } from '@facecloud/contract';
import { PhotoDeletionService, PhotoLibraryService, PhotoPreviewService, PhotoUploadService } from '@facecloud/ingest';
import { PeopleService } from '@facecloud/people';
import { ApiJpeg, ApiZodOk, ApiZodQuery } from './api-docs';
import { OwnerId } from './owner.decorator';
import { keysetPage, photoPosition, positionOfPhoto, withCursor } from './paging';
import { toPhotoFace, toPhotoSummary } from './views';
import { ZodValidationPipe } from './zod-validation.pipe';

const listPhotosRequest = withCursor(listPhotosQuery, photoPosition);

@Controller('photos')
export class PhotosController {
  constructor(
    private readonly uploads: PhotoUploadService,
    private readonly deletion: PhotoDeletionService,
    private readonly photos: PhotoLibraryService,
    private readonly people: PeopleService,
    private readonly previews: PhotoPreviewService,
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
  ): Promise<UploadResponse> {
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
    @Query(new ZodValidationPipe(listPhotosRequest)) query: z.infer<typeof listPhotosRequest>,
  ): Promise<PhotosPage> {
    const page = await keysetPage(
      query.limit,
      (limit) => this.photos.list(ownerId, { status: query.status, limit, after: query.cursor }),
      positionOfPhoto,
    );
    return { photos: page.items.map(toPhotoSummary), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A photo: status, size and its faces with boxes and person names (to draw boxes)' })
  @ApiZodOk(photoDetail)
  async get(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string): Promise<PhotoDetail> {
    const photo = await this.photos.find(ownerId, id);
    if (!photo) throw new NotFoundException(`photo ${id} not found`);
    const faces = await this.people.facesOfPhoto(ownerId, id);
    return { ...toPhotoSummary(photo), faces: faces.map(toPhotoFace) };
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
    const original = await this.photos.original(ownerId, id);
    if (!original) throw new NotFoundException(`photo ${id} not found`);
    const { photo, bytes } = original;
    response.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    response.setHeader('ETag', `"${photo.sha256}"`);
    // The user's own bytes: never sniffed as another type, never run as a page (polyglot files).
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    return new StreamableFile(bytes, { type: photo.contentType, length: photo.byteSize });
  }
}
