import { DiscoveryService } from '@nestjs/core';

/**
 * How a library tells the process's health and metrics endpoints (libs/platform) about
 * itself: it marks one of its providers with @ReportsReadiness(section) and implements
 * ReadinessReporter; platform finds and asks every marked provider, importing no library.
 */

/** A library's answer: whether it can do its work now, and what it found (kind, message, ...). */
export interface ReadinessReport {
  up: boolean;
  details?: Record<string, unknown>;
}

export interface ReadinessReporter {
  /** Its check for /health/ready: a report that is not up makes the process not ready (503). */
  readiness(): Promise<ReadinessReport> | ReadinessReport;
  /** What /health shows of it; rejects, with the reason, when the process cannot serve at all (503). */
  summary?(): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Brings its gauges up to date before a metrics scrape. */
  refreshMetrics?(): Promise<void>;
}

/**
 * The sections of /health/ready, in the order they are shown, and what each says in a
 * process without the library that checks it (the clusterer has no job queue, the API runs
 * no models).
 */
export const READINESS_SECTIONS: Readonly<Record<ReadinessSection, Record<string, unknown>>> = {
  database: { kind: 'none', message: 'this process uses no database' },
  broker: { kind: 'none', message: 'this process uses no job queue' },
  models: { message: 'this process runs no models' },
};

export type ReadinessSection = 'database' | 'broker' | 'models';

/** Rejects after `ms`, so one hung dependency cannot hang a health check or a scrape. */
export function answerWithin<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Marks the provider that reports a library's readiness for `section`. */
export const ReportsReadiness = DiscoveryService.createDecorator<ReadinessSection>();
