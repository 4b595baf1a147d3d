/**
 * Entry point of one FaceAnalyzerPool thread: holds its own FaceAnalyzer (own onnxruntime
 * sessions) and answers the pool's requests one at a time. The messages are the pool's
 * (analyzer-pool.ts); nothing else should start this file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { adoptDecodeMemoryBudget } from './decode-memory';
import { FaceAnalyzer, type FaceAnalyzerOptions } from './face-analyzer';
import type { VisionStage } from './stage-timer';
import type { PoolRequest, ThreadMessage, ThreadOptions } from './analyzer-pool';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('analyzer-thread must run as a worker thread');
  const post = (message: ThreadMessage) => port.postMessage(message);
  const stages: Array<[VisionStage, number]> = [];
  const { decodeMemoryBudget, ...analyzerOptions } = workerData as ThreadOptions;
  adoptDecodeMemoryBudget(decodeMemoryBudget);
  const options: FaceAnalyzerOptions = {
    ...analyzerOptions,
    runtime: { ...analyzerOptions.runtime, logger: { warn: (message) => post({ type: 'warn', message }) } },
    stageTimer: { record: (stage, milliseconds) => stages.push([stage, milliseconds]) },
  };
  let analyzer: FaceAnalyzer;
  try {
    analyzer = await FaceAnalyzer.create(options);
  } catch (error) {
    post({ type: 'failed', error: serializeError(error) });
    return;
  }
  post({ type: 'ready', embedderName: analyzer.embedderName, executionProvider: analyzer.executionProvider });

  // The pool sends one request at a time; a close waits for the analysis in progress.
  let inProgress: Promise<void> = Promise.resolve();
  port.on('message', (request: PoolRequest) => {
    if (request.type === 'close') {
      void inProgress.then(() => analyzer.close()).finally(() => port.close());
      return;
    }
    stages.length = 0;
    inProgress = analyzer.analyzeMany(request.photos.map((photo) => Buffer.from(photo.buffer, photo.byteOffset, photo.byteLength))).then(
      (results) =>
        post({
          type: 'result',
          results: results.map((result) => (result instanceof Error ? { error: serializeError(result) } : { analysis: result })),
          stages: stages.splice(0),
        }),
      (error: unknown) => post({ type: 'result', error: serializeError(error), stages: stages.splice(0) }),
    );
  });
}

function serializeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

void main();
