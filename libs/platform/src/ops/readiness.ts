import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { READINESS_SECTIONS, ReportsReadiness, type ReadinessReporter, type ReadinessSection } from '@facecloud/metrics';
import { ShutdownState } from './shutdown-state';

const SECTIONS = Object.keys(READINESS_SECTIONS) as ReadinessSection[];

/**
 * Collects what the libraries of this process report about themselves (@ReportsReadiness
 * providers: storage's database, the queue's broker, ingest's models) for /health/ready,
 * /health and /metrics. What a process does decides what it reports: a section whose
 * library is not in the process says so and is up.
 */
@Injectable()
export class ReadinessReports {
  private found: Map<ReadinessSection, ReadinessReporter> | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly health: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The reporters by section, in section order; looked up once (every provider exists by the first request). */
  private get reporters(): Map<ReadinessSection, ReadinessReporter> {
    if (!this.found) {
      const bySection = new Map<ReadinessSection, ReadinessReporter>();
      for (const wrapper of this.discovery.getProviders({ metadataKey: ReportsReadiness.KEY })) {
        const section = this.discovery.getMetadataByDecorator(ReportsReadiness, wrapper);
        if (section && wrapper.instance) bySection.set(section, wrapper.instance as ReadinessReporter);
      }
      this.found = new Map(SECTIONS.flatMap((section) => (bySection.has(section) ? [[section, bySection.get(section)!] as const] : [])));
    }
    return this.found;
  }

  /** The checks of /health/ready in order: the process itself (not shutting down), then each section. */
  checks(): Array<() => Promise<HealthIndicatorResult> | HealthIndicatorResult> {
    return [() => this.checkAccepting(), ...SECTIONS.map((section) => () => this.checkSection(section))];
  }

  /** The facts /health shows, section by section; rejects when a library says the process cannot serve. */
  async summary(): Promise<Record<string, unknown>> {
    const facts: Record<string, unknown> = {};
    for (const reporter of this.reporters.values()) Object.assign(facts, await reporter.summary?.());
    return facts;
  }

  async refreshMetrics(): Promise<void> {
    await Promise.all([...this.reporters.values()].map((reporter) => reporter.refreshMetrics?.()));
  }

  private checkAccepting(): HealthIndicatorResult {
    const check = this.health.check('process');
    return this.shutdown.isDraining ? check.down({ message: 'shutting down' }) : check.up();
  }

  private async checkSection(section: ReadinessSection): Promise<HealthIndicatorResult> {
    const check = this.health.check(section);
    const reporter = this.reporters.get(section);
    if (!reporter) return check.up(READINESS_SECTIONS[section]);
    const report = await reporter.readiness();
    return report.up ? check.up(report.details) : check.down(report.details);
  }
}
