import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { PeopleService } from '@facecloud/people';
import { DATABASE, Repositories, type Database } from '@facecloud/storage';
import { ApiJpeg, ApiZodBody, ApiZodOk } from './api-docs';
import { OwnerId } from './owner.decorator';
import { faceView, moveFaceBody } from './people.schemas';
import { ZodValidationPipe } from './zod-validation.pipe';

/** A face's crop never changes (re-processing a photo makes new face ids), so caches may keep it for good. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

@ApiTags('faces')
@Controller('faces')
export class FacesController {
  constructor(
    private readonly people: PeopleService,
    private readonly repositories: Repositories,
    @Inject(DATABASE) private readonly database: Database,
  ) {}

  @Get(':id/thumbnail')
  @ApiOperation({ summary: 'The aligned 112×112 face crop; ETag and If-None-Match (304) supported' })
  @ApiJpeg('JPEG face crop')
  async thumbnail(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile | undefined> {
    const { faces } = this.repositories.forOwner(this.database.pool, ownerId);
    response.setHeader('ETag', `"face-${id}"`);
    response.setHeader('Cache-Control', IMMUTABLE);
    if (request.fresh) {
      // Revalidation costs an index lookup, not the image: the ETag is the face id.
      if (!(await faces.exists(id))) throw this.notFound(response, id);
      response.status(304);
      return undefined;
    }
    const jpeg = await faces.thumbnail(id);
    if (!jpeg) throw this.notFound(response, id);
    return new StreamableFile(jpeg, { type: 'image/jpeg', length: jpeg.length });
  }

  @Post(':id/move')
  @HttpCode(200)
  @ApiOperation({ summary: 'Place the face in another person, or in a new one; it stays there (assignedBy user)' })
  @ApiZodBody(moveFaceBody)
  @ApiZodOk(faceView)
  @ApiConflictResponse({ description: 'the person already has a face of this photo' })
  move(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(moveFaceBody)) body: z.infer<typeof moveFaceBody>,
  ) {
    return this.people.moveFace(ownerId, id, body.personId ? { personId: body.personId } : { newPerson: body.newPerson ?? {} });
  }

  @Post(':id/remove')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take the face out of its person; records "not this person" so clustering never puts it back' })
  @ApiZodOk(faceView)
  @ApiConflictResponse({ description: 'the face belongs to no person' })
  remove(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.people.removeFace(ownerId, id);
  }

  @Post(':id/not-a-face')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark the detection as not a face: it leaves its person and is never clustered' })
  @ApiZodOk(faceView)
  notAFace(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.people.markNotFace(ownerId, id);
  }

  /** An error answer must not carry the image's caching headers. */
  private notFound(response: Response, id: string): NotFoundException {
    response.removeHeader('ETag');
    response.removeHeader('Cache-Control');
    return new NotFoundException(`face ${id} not found`);
  }
}
