import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Module, type DynamicModule, type INestApplicationContext, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigModule, loadConfig, type AppConfig } from '@facecloud/config';
import { StderrLoggingModule } from '@facecloud/platform';
import {
  StorageModule,
  assertEmbeddedFolderFree,
  embeddedDirFromConfig,
  openDatabaseFromConfig,
  runMigrations,
  type Database,
} from '@facecloud/storage';

/** A usage error: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/**
 * One operator command of `npm run admin -- <name> ...`. Commands are listed in
 * ./commands.ts; each parses its own arguments.
 */
export interface AdminCommand {
  name: string;
  /** Arguments after the name, as shown in the usage text, e.g. `[--owner ID]`. */
  synopsis: string;
  /** One or two lines for the usage text. */
  summary: string;
  /** Returns the exit code. */
  run(argv: string[]): Promise<number>;
}

/** parseArgs with its errors turned into usage errors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** User (library) ids, as the users table accepts them. */
const USER_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function userIdArg(value: string | undefined, fallback = 'local'): string {
  const id = value ?? fallback;
  if (!USER_ID.test(id)) throw new UsageError(`invalid user id "${id}": letters, digits, ".", "_" and "-", at most 64`);
  return id;
}

/**
 * Runs `work` against the configured database (migrated first), closing it afterwards.
 * With the embedded database the data folder must be free: a running service holds it, and
 * opening it then fails with DataFolderInUseError (the command exits 1 with its message).
 */
export async function withDatabase<T>(work: (database: Database, config: AppConfig) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabaseFromConfig(config);
  try {
    await runMigrations(database.pool);
    return await work(database, config);
  } finally {
    await database.close();
  }
}

@Module({})
class AdminServicesModule {}

/**
 * Runs `work` with the same Nest services the processes use (config, JSON logging, storage
 * migrated at start, plus `imports`), so commands go through the same code paths as the
 * API and workers; closes them (and the database) afterwards.
 */
export async function withServices<T>(
  imports: Array<Type<unknown> | DynamicModule>,
  work: (app: INestApplicationContext) => Promise<T>,
  providers: Provider[] = [],
): Promise<T> {
  const config = loadConfig(); // a bad setting stops here, with its message, before anything starts
  // So does a data folder held by another process, before Nest logs it as a failed start.
  if (!config.DATABASE_URL) assertEmbeddedFolderFree(embeddedDirFromConfig(config));
  const app = await NestFactory.createApplicationContext(
    { module: AdminServicesModule, imports: [ConfigModule, StderrLoggingModule, StorageModule, ...imports], providers },
    // Errors (a data folder in use among them) reach the caller instead of aborting the process.
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  try {
    await app.init();
    return await work(app);
  } finally {
    await app.close();
  }
}
