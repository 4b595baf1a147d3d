export { LoggingModule, StderrLoggingModule } from './logging.module';
export { bootstrapHttp, bootstrapBackground } from './bootstrap';
export { OpsModule } from './ops/ops.module';
