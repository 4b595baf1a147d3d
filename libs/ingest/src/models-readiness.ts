import { Inject, Injectable } from '@nestjs/common';
import { metrics, ReportsReadiness, type ReadinessReport, type ReadinessReporter } from '@facecloud/metrics';
import type { PhotoAnalyzer } from '@facecloud/vision';
import { FACE_ANALYZER } from './photo-ingest.service';

/** The models' readiness, where this process runs them: loaded, on which execution provider, which embedder. */
@Injectable()
@ReportsReadiness('models')
export class ModelsReadiness implements ReadinessReporter {
  constructor(@Inject(FACE_ANALYZER) private readonly analyzer: PhotoAnalyzer) {}

  private get info() {
    return { executionProvider: this.analyzer.executionProvider, embedder: this.analyzer.embedderName };
  }

  readiness(): ReadinessReport {
    return { up: true, details: this.info };
  }

  summary(): Record<string, unknown> {
    return { vision: this.info };
  }

  async refreshMetrics(): Promise<void> {
    metrics.modelsInfo.set({ provider: this.info.executionProvider, embedder: this.info.embedder }, 1);
  }
}
