import { BadRequestException, Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
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
  type FacesPage,
  type MergeResult,
  type PeoplePage,
  type PersonView,
  type SimilarPeople,
} from '@facecloud/contract';
import { PeopleService } from '@facecloud/people';
import { ApiZodBody, ApiZodOk, ApiZodQuery, openApiSchema } from './api-docs';
import { OwnerId } from './owner.decorator';
import { facePosition, keysetPage, personPosition, positionOfFace, positionOfPerson, withCursor } from './paging';
import { toFaceView, toPersonView } from './views';
import { ZodValidationPipe } from './zod-validation.pipe';

const listPeopleRequest = withCursor(listPeopleQuery, personPosition);
const listFacesRequest = withCursor(listFacesQuery, facePosition);

@ApiTags('people')
@Controller('people')
export class PeopleController {
  constructor(private readonly people: PeopleService) {}

  @Get()
  @ApiOperation({ summary: "The caller's persons, a page at a time, with face and photo counts and a cover face" })
  @ApiZodQuery(listPeopleQuery)
  @ApiZodOk(peoplePage)
  async list(
    @OwnerId() ownerId: string,
    @Query(new ZodValidationPipe(listPeopleRequest)) query: z.infer<typeof listPeopleRequest>,
  ): Promise<PeoplePage> {
    const page = await keysetPage(query.limit, (limit) => this.people.list(ownerId, { ...query, limit }), positionOfPerson(query.sort));
    return { people: page.items.map(toPersonView), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One person' })
  @ApiZodOk(personView)
  async get(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string): Promise<PersonView> {
    return toPersonView(await this.people.get(ownerId, id));
  }

  @Get(':id/faces')
  @ApiOperation({ summary: "The person's faces, best quality first, with thumbnail and photo links" })
  @ApiZodQuery(listFacesQuery)
  @ApiZodOk(facesPage)
  async faces(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(listFacesRequest)) query: z.infer<typeof listFacesRequest>,
  ): Promise<FacesPage> {
    const page = await keysetPage(query.limit, (limit) => this.people.listFaces(ownerId, id, { limit, cursor: query.cursor }), positionOfFace);
    return { faces: page.items.map(toFaceView), nextCursor: page.nextCursor };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Name, hide or pick the cover face of a person' })
  @ApiZodBody(updatePersonBody)
  @ApiZodOk(personView)
  async update(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(updatePersonBody)) body: z.infer<typeof updatePersonBody>,
  ): Promise<PersonView> {
    return toPersonView(await this.people.update(ownerId, id, body));
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
  async merge(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(mergeBody)) body: z.infer<typeof mergeBody>,
  ): Promise<MergeResult> {
    if (body.personIds.includes(id)) throw new BadRequestException('personIds: a person cannot be merged into itself');
    const { merge, person } = await this.people.merge(ownerId, id, body.personIds);
    return { merge: { ...merge, createdAt: merge.createdAt.toISOString() }, person: toPersonView(person) };
  }

  @Get(':id/similar')
  @ApiOperation({
    summary: 'Persons that look closest to this one, for "same person?" prompts',
    description: 'similarity: cosine similarity of the persons\' mean face embeddings, 0..1. Hidden persons are left out.',
  })
  @ApiZodQuery(similarQuery)
  @ApiZodOk(similarPeople)
  async similar(
    @OwnerId() ownerId: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query(new ZodValidationPipe(similarQuery)) query: z.infer<typeof similarQuery>,
  ): Promise<SimilarPeople> {
    const matches = await this.people.similar(ownerId, id, query.limit);
    return { people: matches.map(({ person, similarity }) => ({ person: toPersonView(person), similarity })) };
  }
}
