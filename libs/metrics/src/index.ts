export { metrics, metricsRegistry } from './metrics';
