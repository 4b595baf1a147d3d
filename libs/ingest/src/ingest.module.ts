import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { metrics } from '@facecloud/metrics';
import { CONSUMES_INGEST_JOBS } from '@facecloud/queue';
import { FaceAnalyzer, FaceAnalyzerPool, type FaceAnalyzerOptions, type PhotoAnalyzer, type StageTimer } from '@facecloud/vision';
import { ModelsReadiness } from './models-readiness';
import { FACE_ANALYZER, PhotoIngestService } from './photo-ingest.service';

/**
 * The worker's analyzer: a pool of analyzer threads, or with ANALYZER_THREADS=1 one analyzer
 * in the worker's own thread (onnxruntime then uses every core for each model run).
 */
export function createFaceAnalyzer(config: AppConfig, stageTimer: StageTimer = stageMetrics): Promise<PhotoAnalyzer> {
  const options = { ...faceAnalyzerOptions(config), stageTimer };
  if (config.ANALYZER_THREADS === 1) return FaceAnalyzer.create(options);
  return FaceAnalyzerPool.create({ ...options, threads: config.ANALYZER_THREADS || undefined });
}

const stageMetrics: StageTimer = { record: (stage, ms) => metrics.visionStageSeconds.observe({ stage }, ms / 1000) };

/** The analyzer settings of the config (models, onnxruntime, decoding, detection). */
function faceAnalyzerOptions(config: AppConfig): FaceAnalyzerOptions {
  return {
    modelsDir: resolve(config.MODELS_DIR),
    runtime: {
      provider: config.ORT_PROVIDER,
      intraOpThreads: config.ORT_INTRA_OP_THREADS || undefined,
      logger: new Logger('Vision'),
    },
    embeddingPrecision: config.EMBEDDING_PRECISION,
    decode: {
      maxSide: config.DETECT_MAX_SIDE,
      maxInputPixels: config.DECODE_MAX_INPUT_PIXELS,
      maxMemoryBytes: config.DECODE_MAX_MEMORY_BYTES,
    },
    detector: {
      minFaceSize: config.DETECT_MIN_FACE_PX,
      maxFaces: config.DETECT_MAX_FACES,
      pyramid: config.DETECT_PYRAMID,
      thresholds: [config.DETECT_PNET_THRESHOLD, config.DETECT_RNET_THRESHOLD, config.DETECT_ONET_THRESHOLD],
    },
  };
}

@Injectable()
class AnalyzerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(FACE_ANALYZER) private readonly analyzer: PhotoAnalyzer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.analyzer.close();
  }
}

/**
 * The vision pipeline wired for a worker process, consuming ingest jobs; needs the global
 * config, storage and queue modules. Global so that the queue module sees that jobs are
 * consumed here (then its readiness requires the broker).
 */
@Global()
@Module({
  providers: [
    { provide: FACE_ANALYZER, inject: [APP_CONFIG], useFactory: createFaceAnalyzer },
    { provide: CONSUMES_INGEST_JOBS, useValue: true },
    AnalyzerLifecycle,
    ModelsReadiness,
    PhotoIngestService,
  ],
  exports: [FACE_ANALYZER, CONSUMES_INGEST_JOBS, PhotoIngestService],
})
export class IngestModule {}
