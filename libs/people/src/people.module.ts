import { Module } from '@nestjs/common';
import { FaceThumbnailService } from './face-thumbnail.service';
import { PeopleService } from './people.service';

/** Needs the (global) config and storage modules. */
@Module({
  providers: [PeopleService, FaceThumbnailService],
  exports: [PeopleService, FaceThumbnailService],
})
export class PeopleModule {}
