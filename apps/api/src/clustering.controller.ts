import {
  Controller,
  Get,
  HttpStatus,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  Inject,
} from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { ClusteringQueueService } from '@facecloud/clustering';
import { OwnerId } from './owner.decorator';
import { toClusteringRunView } from './views';
import { ZodValidationPipe } from './zod-validation.pipe';

const runQuerySchema = z.object({
  wait: z.enum(['true', 'false', '1', '0']).default('false').transform((value) => value === 'true' || value === '1'),
});

@Controller('clustering')
export class ClusteringController {
  private readonly logger = new Logger(ClusteringController.name);

  constructor(
    private readonly clustering: ClusteringQueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Re-groups the caller's faces now instead of waiting for the schedule. Queues a run (or
   * joins the one already queued) and answers 202 with it; a clusterer takes it. With
   * `?wait=true` answers 200 with the finished run (running it here if no clusterer took it
   * yet), or 202 if it did not finish within CLUSTER_RUN_WAIT_SECONDS.
   */
  @Post('run')
  async run(
    @OwnerId() ownerId: string,
    @Query(new ZodValidationPipe(runQuerySchema)) query: z.infer<typeof runQuerySchema>,
    @Res({ passthrough: true }) response: Response,
  ) {
    if (!query.wait) {
      response.status(HttpStatus.ACCEPTED);
      return toClusteringRunView(await this.clustering.requestRun(ownerId, 'user'));
    }
    const run = await this.clustering.runNow(ownerId, 'user', this.config.CLUSTER_RUN_WAIT_SECONDS * 1000);
    if (run.status === 'failed') {
      this.logger.error(`clustering run ${run.id} of ${ownerId} failed: ${run.error}`);
      throw new InternalServerErrorException(`clustering run ${run.id} failed`);
    }
    response.status(run.status === 'done' ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return toClusteringRunView(run);
  }

  /** One of the caller's runs: queued, running, done (with counts) or failed. */
  @Get('runs/:id')
  async get(@OwnerId() ownerId: string, @Param('id', new ParseUUIDPipe()) id: string) {
    const run = await this.clustering.getRun(ownerId, id);
    if (!run) throw new NotFoundException(`clustering run ${id} not found`);
    return toClusteringRunView(run);
  }
}
