import { BadRequestException, Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { PeopleService } from '@facecloud/people';
import { ApiZodBody, ApiZodOk, ApiZodQuery, openApiSchema } from './api-docs';
import { OwnerId } from './owner.decorator';
import {
  facesPage,
  listFacesQuery,
  listPeopleQuery,
  mergeBody,
  mergeResult,
  peoplePage,
  personView,
  similarPeople,
  similarQuery,
  updatePersonBody,
} from './people.schemas';
import { ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('people')
@Controller('people')
export class PeopleController {
  constructor(private readonly people: PeopleService) {}

  @Get()
  @ApiOperation({ summary: "The caller's persons, a page at a time, with face and photo counts and a cover face" })
  @ApiZodQuery(listPeopleQuery)
  @ApiZodOk(peoplePage)
  list(@OwnerId() ownerId: string, @Query(new ZodValidationPipe(listPeopleQuery)) query: z.infer<typeof listPeopleQuery>) {
    return this.people.list(ownerId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One person' })
  @ApiZodOk(personView)
  get(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.people.get(ownerId, id);
  }

  @Get(':id/faces')
  @ApiOperation({ summary: "The person's faces, best quality first, with thumbnail and photo links" })
  @ApiZodQuery(listFacesQuery)
  @ApiZodOk(facesPage)
  faces(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(listFacesQuery)) query: z.infer<typeof listFacesQuery>,
  ) {
    return this.people.listFaces(ownerId, id, query);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Name, hide or pick the cover face of a person' })
  @ApiZodBody(updatePersonBody)
  @ApiZodOk(personView)
  update(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(updatePersonBody)) body: z.infer<typeof updatePersonBody>,
  ) {
    return this.people.update(ownerId, id, body);
  }

  @Post(':id/merge')
  @ApiOperation({
    summary: 'Merge persons into this one',
    description:
      'Their faces move here and every face of the result counts as confirmed by the user. Where two faces of one ' +
      'photo meet, the better stays and the other is unassigned. POST /merges/{id}/undo restores them exactly.',
  })
  @ApiZodBody(mergeBody)
  @ApiCreatedResponse({ schema: openApiSchema(mergeResult) })
  merge(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(mergeBody)) body: z.infer<typeof mergeBody>,
  ) {
    if (body.personIds.includes(id)) throw new BadRequestException('personIds: a person cannot be merged into itself');
    return this.people.merge(ownerId, id, body.personIds);
  }

  @Get(':id/similar')
  @ApiOperation({
    summary: 'Persons that look closest to this one, for "same person?" prompts',
    description: 'similarity: cosine similarity of the persons\' mean face embeddings, 0..1. Hidden persons are left out.',
  })
  @ApiZodQuery(similarQuery)
  @ApiZodOk(similarPeople)
  similar(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(similarQuery)) query: z.infer<typeof similarQuery>,
  ) {
    return this.people.similar(ownerId, id, query.limit);
  }
}
