import { Module } from '@nestjs/common';
import { PeopleRepository } from '@facecloud/storage';
import { PeopleService } from './people.service';
import { PhotoPreviewService } from './photo-preview.service';

/** Needs the (global) config and storage modules. */
@Module({
  providers: [PeopleRepository, PeopleService, PhotoPreviewService],
  exports: [PeopleService, PhotoPreviewService, PeopleRepository],
})
export class PeopleModule {}
