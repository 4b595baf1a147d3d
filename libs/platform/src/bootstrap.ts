import type { AddressInfo } from 'node:net';
import type { INestApplication, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { loadConfig, ConfigError } from '@facecloud/config';
import { ClientErrorLoggingFilter } from './client-error-logging.filter';
import { httpMetricsMiddleware } from './ops/http-metrics';

function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

/** Starts an HTTP process (api, all-in-one) and returns it listening. */
export async function bootstrapHttp(module: Type<unknown>): Promise<INestApplication> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    exitOnConfigError(error);
  }
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true });
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
    const app = await NestFactory.createApplicationContext(module, { bufferLogs: true });
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks();
    await app.init();
    return app;
  }
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.use(httpMetricsMiddleware);
  app.enableShutdownHooks();
  await app.listen(config.METRICS_PORT, config.HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  app.get(Logger).log(`health and metrics on http://${config.HOST}:${port}`);
  return app;
}
