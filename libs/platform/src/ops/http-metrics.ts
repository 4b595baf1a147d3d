import type { NextFunction, Request, Response } from 'express';
import { metrics } from '@facecloud/metrics';

/**
 * Times every HTTP request into facecloud_http_request_duration_seconds, labelled with the
 * matched route pattern (`/photos/:id`, never the id itself, to keep label sets small).
 */
export function httpMetricsMiddleware(request: Request, response: Response, next: NextFunction): void {
  const stop = metrics.httpRequestSeconds.startTimer();
  response.once('finish', () => {
    const route = request.route?.path ? `${request.baseUrl}${request.route.path as string}` : 'unmatched';
    stop({ method: request.method, route, status: String(response.statusCode) });
  });
  next();
}
