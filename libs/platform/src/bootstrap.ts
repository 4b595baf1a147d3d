import type { AddressInfo } from 'node:net';
import type { INestApplication, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { loadConfig, ConfigError, type AppConfig } from '@facecloud/config';
import { DataFolderInUseError, assertEmbeddedFolderFree, embeddedDirFromConfig } from '@facecloud/storage';
import { ClientErrorLoggingFilter } from './client-error-logging.filter';
import { httpMetricsMiddleware } from './ops/http-metrics';

function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

/**
 * Creates the app; a data folder held by another process ends this one with that message
 * (exit 1) instead of Nest's abort and stack trace. Checked first too, so that the message is
 * all that is printed (the lock itself is taken when the database opens).
 */
async function create<T>(config: AppConfig, make: () => Promise<T>): Promise<T> {
  try {
    if (!config.DATABASE_URL) assertEmbeddedFolderFree(embeddedDirFromConfig(config));
    return await make();
  } catch (error) {
    if (error instanceof DataFolderInUseError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** Starts an HTTP process (api, all-in-one) and returns it listening. */
export async function bootstrapHttp(module: Type<unknown>): Promise<INestApplication> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    exitOnConfigError(error);
  }
  const app = await create(config, () => NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, abortOnError: false }));
  // Which proxies may name the client (request.ip), as the login limits per address read it.
  app.set('trust proxy', config.TRUST_PROXY);
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ClientErrorLoggingFilter(app.getHttpAdapter()));
  app.use(httpMetricsMiddleware);
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  // The bound port, not the configured one: PORT=0 picks a free port (tests do that).
  const { port } = app.getHttpServer().address() as AddressInfo;
  app.get(Logger).log(`listening on http://${config.HOST}:${port}`);
  return app;
}

/**
 * Starts a process without an API (worker, clusterer). With METRICS_PORT set it serves only
 * health and metrics on that port (OpsModule's controllers); without it, no HTTP at all.
 */
export async function bootstrapBackground(module: Type<unknown>): Promise<INestApplicationContext> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    exitOnConfigError(error);
  }
  if (config.METRICS_PORT === undefined) {
    const app = await create(config, () => NestFactory.createApplicationContext(module, { bufferLogs: true, abortOnError: false }));
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks();
    await app.init();
    return app;
  }
  const app = await create(config, () => NestFactory.create(module, { bufferLogs: true, abortOnError: false }));
  app.useLogger(app.get(Logger));
  app.use(httpMetricsMiddleware);
  app.enableShutdownHooks();
  await app.listen(config.METRICS_PORT, config.HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  app.get(Logger).log(`health and metrics on http://${config.HOST}:${port}`);
  return app;
}
