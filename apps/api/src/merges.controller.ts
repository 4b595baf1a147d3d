import { Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { undoResult, type UndoResult } from '@facecloud/contract';
import { PeopleService } from '@facecloud/people';
import { ApiZodOk } from './api-docs';
import { OwnerId } from './owner.decorator';
import { toPersonView } from './views';

@ApiTags('people')
@Controller('merges')
export class MergesController {
  constructor(private readonly people: PeopleService) {}

  @Post(':id/undo')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Undo a merge',
    description:
      'The merged persons come back under their old ids with their names, hidden flags, covers and faces. Faces moved ' +
      'elsewhere since stay there. person is the merge target afterwards (null if it has no face left).',
  })
  @ApiZodOk(undoResult)
  @ApiConflictResponse({ description: 'the merge was already undone' })
  async undo(@OwnerId() ownerId: string, @Param('id', ParseUUIDPipe) id: string): Promise<UndoResult> {
    const { restoredPersonIds, person } = await this.people.undoMerge(ownerId, id);
    return { restoredPersonIds, person: person && toPersonView(person) };
  }
}
