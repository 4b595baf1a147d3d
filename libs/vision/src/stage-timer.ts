/**
 * Wall-clock time per pipeline stage, for benchmarks and profiling: FaceAnalyzer and
 * MtcnnDetector report each stage of a call to the timer they are given. Costs two
 * performance.now() calls per stage and call; nothing when no timer is given.
 */
export type VisionStage = 'decode' | 'pyramid' | 'pnet' | 'rnet' | 'onet' | 'align' | 'embed' | 'thumbnail' | 'quality';

export interface StageTimer {
  record(stage: VisionStage, milliseconds: number): void;
}

/** Runs `work` and reports its duration to `timer` (if any) under `stage`. */
export async function timeStage<T>(timer: StageTimer | undefined, stage: VisionStage, work: () => Promise<T> | T): Promise<T> {
  if (!timer) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    timer.record(stage, performance.now() - started);
  }
}

/** A StageTimer that sums milliseconds and counts calls per stage (callers may add stages of their own). */
export class StageTotals implements StageTimer {
  readonly milliseconds = new Map<string, number>();
  readonly calls = new Map<string, number>();

  record(stage: VisionStage | string, milliseconds: number): void {
    this.milliseconds.set(stage, (this.milliseconds.get(stage) ?? 0) + milliseconds);
    this.calls.set(stage, (this.calls.get(stage) ?? 0) + 1);
  }
}
