import { Module } from '@nestjs/common';
import { PeopleRepository } from '@facecloud/storage';
import { FaceThumbnailService } from './face-thumbnail.service';
import { PeopleService } from './people.service';

/** Needs the (global) config and storage modules. */
@Module({
  providers: [PeopleRepository, PeopleService, FaceThumbnailService],
  exports: [PeopleService, FaceThumbnailService, PeopleRepository],
})
export class PeopleModule {}
