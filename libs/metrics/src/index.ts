export { metrics, metricsRegistry } from './metrics';
export {
  READINESS_SECTIONS,
  answerWithin,
  ReportsReadiness,
  type ReadinessReport,
  type ReadinessReporter,
  type ReadinessSection,
} from './readiness';
