import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { FaceClusteringService } from '@facecloud/clustering';
import { DATABASE, PersonRepository, type Database } from '@facecloud/storage';
import { OwnerId } from './owner.decorator';

@Controller('people')
export class PeopleController {
  constructor(
    private readonly persons: PersonRepository,
    private readonly clustering: FaceClusteringService,
    @Inject(DATABASE) private readonly database: Database,
  ) {}

  /** Persons with their face counts and cover face, largest first. */
  @Get()
  async list(@OwnerId() ownerId: string) {
    const people = await this.persons.listWithCounts(this.database.pool, ownerId);
    return {
      people: people.map((person) => ({
        ...person,
        coverThumbnailUrl: `/faces/${person.coverFaceId}/thumbnail`,
      })),
    };
  }

  /** Re-groups the caller's faces now instead of waiting for the periodic run. */
  @Post('cluster')
  @HttpCode(200)
  cluster(@OwnerId() ownerId: string) {
    return this.clustering.clusterOwner(ownerId);
  }
}
