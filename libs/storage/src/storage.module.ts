import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { LocalBlobStore } from './blob-store';
import { openDatabase, type Database } from './database';
import { runMigrations } from './migrate';
import { Repositories } from './repositories';

export const DATABASE = Symbol('DATABASE');
export const BLOB_STORE = Symbol('BLOB_STORE');

/** The embedded database's folder under DATA_DIR. */
export function embeddedDirFromConfig(config: AppConfig): string {
  return join(config.DATA_DIR, 'pglite');
}

export function openDatabaseFromConfig(config: AppConfig): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    embeddedDir: embeddedDirFromConfig(config),
    poolMax: config.DATABASE_POOL_MAX,
  });
}

export function blobDirFromConfig(config: AppConfig): string {
  return config.BLOB_DIR ?? join(config.DATA_DIR, 'blobs');
}

/** Opens the database (migrating it when configured) and closes it on shutdown. */
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Storage');

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.logger.log(`database: ${this.database.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'}`);
    if (!this.config.MIGRATE_ON_START) return;
    const applied = await runMigrations(this.database.pool);
    if (applied.length) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: DATABASE, inject: [APP_CONFIG], useFactory: openDatabaseFromConfig },
    { provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new LocalBlobStore(blobDirFromConfig(config)) },
    DatabaseLifecycle,
    Repositories,
  ],
  exports: [DATABASE, BLOB_STORE, Repositories],
})
export class StorageModule {}
