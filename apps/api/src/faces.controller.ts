import { Controller, Get, Inject, NotFoundException, Param, ParseUUIDPipe, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { DATABASE, FaceRepository, type Database } from '@facecloud/storage';
import { OwnerId } from './owner.decorator';

@Controller('faces')
export class FacesController {
  constructor(
    private readonly faces: FaceRepository,
    @Inject(DATABASE) private readonly database: Database,
  ) {}

  /** The aligned 112×112 face crop as JPEG. A face's crop never changes, so it caches well. */
  @Get(':id/thumbnail')
  async thumbnail(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const jpeg = await this.faces.getThumbnail(this.database.pool, id, ownerId);
    if (!jpeg) throw new NotFoundException(`face ${id} not found`);
    response.setHeader('Cache-Control', 'private, max-age=86400');
    return new StreamableFile(jpeg, { type: 'image/jpeg', length: jpeg.length });
  }
}
