import { Module } from '@nestjs/common';
import { PeopleService } from './people.service';
import { PhotoPreviewService } from './photo-preview.service';

/** Needs the (global) config and storage modules. */
@Module({
  providers: [PeopleService, PhotoPreviewService],
  exports: [PeopleService, PhotoPreviewService],
})
export class PeopleModule {}
