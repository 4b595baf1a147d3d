import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { FACE_ANALYZER, PhotoIngestService } from '@facecloud/ingest';
import { INGEST_JOB_SOURCE, type IngestJobSource } from '@facecloud/queue';
import type { PhotoAnalyzer } from '@facecloud/vision';

/** Feeds jobs from the configured queue into the ingest pipeline. */
@Injectable()
export class IngestWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestWorker.name);

  constructor(
    @Inject(INGEST_JOB_SOURCE) private readonly source: IngestJobSource,
    @Inject(FACE_ANALYZER) private readonly analyzer: PhotoAnalyzer,
    private readonly ingest: PhotoIngestService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.source.start(
      (jobs) => this.ingest.processBatch(jobs),
      (job, error) => this.ingest.giveUp(job, error),
    );
    this.logger.log(
      `consuming ingest jobs from ${this.source.name}; models on ${this.analyzer.executionProvider.toUpperCase()} ` +
        `in ${this.analyzer.parallelism} analyzer(s), embedder ${this.analyzer.embedderName}`,
    );
  }

  /** Finish the photo in progress before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.source.stop();
  }
}
