import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import { FaceAnalyzer } from '@facecloud/vision';
import { FACE_ANALYZER, PhotoIngestService } from './photo-ingest.service';

export function createFaceAnalyzer(config: AppConfig): Promise<FaceAnalyzer> {
  return FaceAnalyzer.create({
    modelsDir: resolve(config.MODELS_DIR),
    runtime: {
      provider: config.ORT_PROVIDER,
      intraOpThreads: config.ORT_INTRA_OP_THREADS || undefined,
      logger: new Logger('Vision'),
    },
    decode: { maxSide: config.DETECT_MAX_SIDE, maxInputPixels: config.DECODE_MAX_INPUT_PIXELS },
    stageTimer: { record: (stage, ms) => metrics.visionStageSeconds.observe({ stage }, ms / 1000) },
    detector: {
      minFaceSize: config.DETECT_MIN_FACE_PX,
      maxFaces: config.DETECT_MAX_FACES,
      pyramid: config.DETECT_PYRAMID,
      thresholds: [config.DETECT_PNET_THRESHOLD, config.DETECT_RNET_THRESHOLD, config.DETECT_ONET_THRESHOLD],
    },
  });
}

@Injectable()
class AnalyzerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(FACE_ANALYZER) private readonly analyzer: FaceAnalyzer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.analyzer.close();
  }
}

/**
 * The vision pipeline wired for a worker process; needs the global config and storage
 * modules. Global so that, in one process with the API, /health can report the provider.
 */
@Global()
@Module({
  providers: [
    { provide: FACE_ANALYZER, inject: [APP_CONFIG], useFactory: createFaceAnalyzer },
    AnalyzerLifecycle,
    PhotoIngestService,
  ],
  exports: [FACE_ANALYZER, PhotoIngestService],
})
export class IngestModule {}
