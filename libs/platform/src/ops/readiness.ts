import { Inject, Injectable, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Admin, Kafka } from 'kafkajs';
import { FACE_ANALYZER } from '@facecloud/ingest';
import { KAFKA } from '@facecloud/queue';
import { DATABASE, type Database } from '@facecloud/storage';
import type { PhotoAnalyzer } from '@facecloud/vision';
import { ShutdownState } from './shutdown-state';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Rejects after `ms`, so one hung dependency cannot hang the health check. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The checks behind /health/ready, as Terminus indicators: the database, the broker, the
 * models and their execution provider, and whether the process is shutting down. What a
 * process does decides what it needs: only a process that runs the models (worker,
 * all-in-one) needs the broker to do its work; an API keeps accepting uploads into the
 * outbox while the broker is down, so there the broker is reported, not required.
 */
@Injectable()
export class ReadinessIndicators implements BeforeApplicationShutdown {
  private admin: Admin | undefined;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
    @Inject(DATABASE) private readonly database: Database,
    @Optional() @Inject(KAFKA) private readonly kafka?: Kafka | null,
    /** Present where this process runs the models (worker, all-in-one). */
    @Optional() @Inject(FACE_ANALYZER) private readonly analyzer?: PhotoAnalyzer,
  ) {}

  get runsModels(): boolean {
    return this.analyzer !== undefined;
  }

  get modelsInfo(): { executionProvider: string; embedder: string } | undefined {
    return this.analyzer && { executionProvider: this.analyzer.executionProvider, embedder: this.analyzer.embedderName };
  }

  checkAccepting(): HealthIndicatorResult {
    const check = this.health.check('process');
    return this.shutdown.isDraining ? check.down({ message: 'shutting down' }) : check.up();
  }

  async checkDatabase(): Promise<HealthIndicatorResult> {
    const check = this.health.check('database');
    try {
      await within(3000, this.database.pool.query('SELECT 1'));
      return check.up({ kind: this.database.kind });
    } catch (error) {
      return check.down({ kind: this.database.kind, message: `database unreachable: ${message(error)}` });
    }
  }

  async checkBroker(): Promise<HealthIndicatorResult> {
    const check = this.health.check('broker');
    if (this.kafka === undefined) return check.up({ kind: 'none', message: 'this process uses no job queue' });
    if (this.kafka === null) return check.up({ kind: 'postgres', message: 'no broker: jobs are claimed from PostgreSQL' });
    const problem = await this.probeBroker();
    if (problem === undefined) return check.up({ kind: 'kafka' });
    const data = { kind: 'kafka', message: `broker unreachable: ${problem}` };
    // An API without models only fills the outbox: it stays ready while the broker is away.
    return this.runsModels ? check.down(data) : check.up({ ...data, required: false });
  }

  /** Whether the configured broker answers; undefined without Kafka. */
  async brokerReachable(): Promise<boolean | undefined> {
    return this.kafka ? (await this.probeBroker()) === undefined : undefined;
  }

  /** Asks the broker for its cluster metadata; returns why that failed, or undefined. */
  private async probeBroker(): Promise<string | undefined> {
    try {
      if (!this.admin) {
        // Few retries: a health check must answer quickly, also while the broker is down.
        this.admin = this.kafka!.admin({ retry: { retries: 1, initialRetryTime: 100 } });
        await within(3000, this.admin.connect());
      }
      await within(3000, this.admin.describeCluster());
      return undefined;
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return message(error);
    }
  }

  checkModels(): HealthIndicatorResult {
    const check = this.health.check('models');
    const info = this.modelsInfo;
    return info ? check.up(info) : check.up({ message: 'this process runs no models' });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
