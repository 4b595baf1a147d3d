import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';

function loggerModule(fd: 1 | 2) {
  return LoggerModule.forRootAsync({
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({
      pinoHttp: [
        {
          level: config.LOG_LEVEL,
          // A caller's (or proxy's) X-Request-Id is kept, so one id follows a request across
          // services; otherwise one is made. Either way it is echoed in the response.
          genReqId: (request: IncomingMessage, response: ServerResponse) => {
            const given = request.headers['x-request-id'];
            const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
            response.setHeader('X-Request-Id', id);
            return id;
          },
          // Probes and scrapes every few seconds would drown the log (Terminus logs failed checks).
          autoLogging: { ignore: (request: IncomingMessage) => /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? '') },
          customLogLevel: (_request, response, error) =>
            error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
          serializers: {
            req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
            res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
          },
        },
        // Synchronous, as pino's default: the last lines before a crash or exit are not lost.
        pino.destination({ fd, sync: true }),
      ],
    }),
  });
}

/**
 * Structured JSON logs (pino) on stdout; every HTTP log line carries a request id, and
 * worker lines about a photo carry its `photoId`.
 */
@Module({ imports: [loggerModule(1)] })
export class LoggingModule {}

/** The same logs on stderr: for command-line tools whose stdout is their output. */
@Module({ imports: [loggerModule(2)] })
export class StderrLoggingModule {}
