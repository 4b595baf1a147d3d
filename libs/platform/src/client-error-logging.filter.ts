import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request } from 'express';

/**
 * Logs why a request was refused (4xx) next to the request's own log line, then answers
 * as Nest does by default ({ statusCode, message, error }).
 */
@Catch()
export class ClientErrorLoggingFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      // The request id is added to the line by the request-scoped logger (nestjs-pino).
      const request = host.switchToHttp().getRequest<Request>();
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : JSON.stringify((response as { message?: unknown }).message);
      this.logger.warn(`${request.method} ${request.originalUrl} → ${exception.getStatus()}: ${message}`);
    }
    super.catch(exception, host);
  }
}
