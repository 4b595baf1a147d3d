import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { blobDirFromConfig, removeFilesModifiedBefore } from '@facecloud/storage';

/** Where uploads are streamed before they are stored: beside the blobs, so storing is a rename. */
export function incomingDirFromConfig(config: AppConfig): string {
  return join(blobDirFromConfig(config), '.incoming');
}

/**
 * At start, before taking requests, removes the temporary files of uploads that were cut off
 * by a killed process (multer removes them only when a request ends). Only files last written
 * before this process started go: uploads in progress elsewhere (another API process sharing
 * BLOB_DIR) keep writing to theirs.
 */
@Injectable()
export class InterruptedUploadsSweeper implements OnApplicationBootstrap {
  private readonly logger = new Logger('Uploads');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    const dir = incomingDirFromConfig(this.config);
    const { files, bytes } = await removeFilesModifiedBefore(dir, performance.timeOrigin);
    if (files > 0) this.logger.log(`removed ${files} temporary file(s) of interrupted uploads (${bytes} bytes) from ${dir}`);
  }
}
